using System.Net;
using System.Text;

namespace Gateway.Configuration;

public static partial class GatewayConfigLoader
{
    /// <summary>The keys of the gateway process as a whole: admin API, drain timeline, control socket, logs, threads, Via.</summary>
    private sealed partial class Reader
    {
        private AdminSettings ReadAdmin() => new(Address("gateway.admin.address"), String("gateway.admin.token"));

        private void CheckAdminToken(AdminSettings? admin)
        {
            if (admin?.Token is { Length: < 16 })
                throw Error("gateway.admin.token", "too short: use at least 16 characters");
            if (admin is { Token: null } && !IPAddress.IsLoopback(admin.Address.Address))
                throw Error("gateway.admin.token", $"required: the admin API listens on {admin.Address}, beyond loopback, and can drain the gateway");
        }

        /// <summary>The five times of <c>gateway.drain</c>, each null when it cannot be read (its problem is kept).</summary>
        private (TimeSpan? Announce, TimeSpan? Deadline, TimeSpan? IdleQuiet, TimeSpan? CloseSpread, TimeSpan? GoAwayAckTimeout) ReadDrainTimes() => (
            Check(() => (TimeSpan?)Duration("gateway.drain.announce")),
            Check(() => (TimeSpan?)Duration("gateway.drain.deadline")),
            Check(() => (TimeSpan?)Duration("gateway.drain.idle-quiet")),
            Check(() => (TimeSpan?)Duration("gateway.drain.close-spread")),
            Check(() => (TimeSpan?)Duration("gateway.drain.goaway-ack-timeout")));

        private void CheckDrain((TimeSpan? Announce, TimeSpan? Deadline, TimeSpan? IdleQuiet, TimeSpan? CloseSpread, TimeSpan? GoAwayAckTimeout) drain)
        {
            var (announce, deadline, idleQuiet, closeSpread, ackTimeout) = drain;
            if (deadline <= TimeSpan.Zero)
                throw Error("gateway.drain.deadline", "must be greater than 0s");
            if (announce > deadline)
                throw Error(Blame("gateway.drain.announce", "gateway.drain.deadline"), $"announce ({announce?.TotalSeconds}s) is longer than the deadline ({deadline?.TotalSeconds}s)");
            if (closeSpread + idleQuiet >= deadline - announce)
                throw Error(Blame("gateway.drain.close-spread", "gateway.drain.idle-quiet", "gateway.drain.deadline", "gateway.drain.announce"),
                    $"idle-quiet + close-spread ({(idleQuiet + closeSpread)?.TotalSeconds}s) must end before the deadline, {(deadline - announce)?.TotalSeconds}s after the unbind");
            if (ackTimeout >= deadline - announce)
                throw Error(Blame("gateway.drain.goaway-ack-timeout", "gateway.drain.deadline", "gateway.drain.announce"),
                    $"goaway-ack-timeout ({ackTimeout?.TotalSeconds}s) must end before the deadline, {(deadline - announce)?.TotalSeconds}s after the unbind: write a shorter one (0s: no wait)");
        }

        /// <summary><c>gateway.hot-restart.socket</c> as written (null: one path per config file).</summary>
        private string? ReadHotRestart()
        {
            var socket = Check(() => String("gateway.hot-restart.socket"));
            Check(() =>
            {
                if (socket is not null && Encoding.UTF8.GetByteCount(Path.GetFullPath(socket)) > 107)
                    throw Error("gateway.hot-restart.socket", "the path is longer than a Unix socket path may be (107 bytes)");
                if (socket is not null && readCertificates && FolderProblem(Path.GetFullPath(socket)) is { } problem)
                    throw Error("gateway.hot-restart.socket", problem);
            });
            return socket;
        }

        internal bool ReadJsonLogs()
        {
            var format = Check(() => StringOrDefault("gateway.log.format"));
            Check(() =>
            {
                if (format is not (null or "text" or "json"))
                    throw Error("gateway.log.format", $"\"{format}\" is not a log format: write text or json");
            });
            return format == "json";
        }

        internal int? ReadIoThreads() => StringOrDefault("gateway.io-threads") switch
        {
            "auto" => null,
            var text when int.TryParse(text, out var n) && n is >= 1 and <= 1024 => n,
            var text => throw Error("gateway.io-threads", $"\"{text}\" is not auto or a number of threads from 1 to 1024"),
        };

        internal AccessLogSettings? ReadAccessLog()
        {
            var path = String("gateway.access-log.path");
            var buffer = Int("gateway.access-log.buffer");
            if (buffer < 1) throw Error("gateway.access-log.buffer", "must be at least 1");
            if (!string.IsNullOrEmpty(path) && path != "stdout" && readCertificates && AccessLogProblem(path) is { } problem)
                throw Error("gateway.access-log.path", problem);
            return string.IsNullOrEmpty(path) ? null : new AccessLogSettings(path, buffer);
        }

        /// <summary><c>gateway.via-name</c>; unset, the host name (see <see cref="GatewaySettings.DefaultViaName"/>).</summary>
        private string ReadViaName() => String("gateway.via-name") switch
        {
            null => GatewaySettings.DefaultViaName,
            var name when GatewaySettings.IsToken(name) => name,
            var name => throw Error("gateway.via-name", $"\"{name}\" cannot be a Via name: use letters, digits and - . _ ~ only"),
        };

        /// <summary>Why a file cannot be created at <paramref name="path"/> (its folder is missing, or it is a folder), or null.</summary>
        private static string? FolderProblem(string path)
        {
            if (Directory.Exists(path)) return $"{path} is a folder: name a file in it";
            var folder = Path.GetDirectoryName(path);
            return folder is null || Directory.Exists(folder) ? null : $"the folder {folder} does not exist: create it, or name a path in a folder that exists";
        }

        /// <summary>Why the access log cannot be appended to at <paramref name="path"/> (what the start would find), or null.</summary>
        private static string? AccessLogProblem(string path)
        {
            var full = Path.GetFullPath(path);
            if (FolderProblem(full) is { } problem) return problem;
            if (!System.IO.File.Exists(full)) return null;
            try
            {
                using var probe = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"{full} cannot be appended to: {ConfigFile.Reason(e)}";
            }
        }
    }
}
