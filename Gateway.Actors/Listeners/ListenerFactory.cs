using System.Net;
using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.HotRestart;

namespace Gateway.Listeners;

/// <summary>
/// Opens the listeners of a configuration: each socket is taken over when one was passed for it
/// (<see cref="SocketAdoption"/>), else bound here; a TLS listener gets its certificates. An address that cannot be
/// bound, or a certificate that cannot be served, is a <see cref="GatewayConfigException"/> naming its key.
/// </summary>
internal sealed class ListenerFactory(GatewaySettings settings, SocketAdoption? adoption, TimeProvider time)
{
    /// <summary>Opens every listener; when one fails, those opened before it are closed again and the error is thrown.</summary>
    public List<ListenerHandle> OpenAll(IEnumerable<ListenerSettings> wanted)
    {
        var opened = new List<ListenerHandle>();
        try
        {
            foreach (var listener in wanted) opened.Add(Open(listener));
            return opened;
        }
        catch
        {
            foreach (var handle in opened) handle.Close();
            throw;
        }
    }

    /// <summary>One listener, configured and with its certificates.</summary>
    public ListenerHandle Open(ListenerSettings wanted)
    {
        var handle = Socket(wanted.Name, $"gateway.listeners.{wanted.Name}.address", wanted.Address).Configure(wanted);
        if (wanted.Tls is not { } tls) return handle;
        try
        {
            handle.Tls = new Tls.CertificateStore(wanted.Name, tls, time);
            return handle;
        }
        catch (Tls.CertificateException e)
        {
            handle.Close();
            var key = tls.AllFiles.FirstOrDefault(f => f.Certificate == e.File || f.PrivateKey == e.File)?.Key ?? $"gateway.listeners.{wanted.Name}.tls";
            throw new GatewayConfigException(settings.Source, key, e.Message, e);
        }
    }

    /// <summary>The admin API's socket, owned like a listener's so that a successor can take it over.</summary>
    public ListenerHandle OpenAdmin() => Socket(ListenerRegistry.AdminName, "gateway.admin.address", settings.Admin.Address);

    private ListenerHandle Socket(string name, string key, IPEndPoint address)
    {
        if (adoption?.TryAdopt(name, address) is { } adopted) return adopted;
        try
        {
            return ListenerHandle.Bind(name, address, time);
        }
        catch (SocketException e)
        {
            var problem = e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "the address is already in use (another process listens there)",
                SocketError.AddressNotAvailable => "the address is not one of this machine's",
                SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
                _ => $"cannot bind: {e.Message}",
            };
            throw new GatewayConfigException(settings.Source, key, problem, e);
        }
    }
}
