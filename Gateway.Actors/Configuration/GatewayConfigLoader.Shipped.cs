using Akka.Configuration;
using Gateway.Configuration.Hocon;

namespace Gateway.Configuration;

public static partial class GatewayConfigLoader
{
    /// <summary>
    /// hocon/reference.conf read as the loader reads a file: the defaults of settings built in code (tests, the
    /// simulation, a host that builds its own), so that they are the very ones a file that leaves the keys out gets.
    /// </summary>
    internal static class Shipped
    {
        private static readonly Config Config = Reference;

        private static readonly Reader Read = new(Config, ReferenceName, readCertificates: false, new ParsedHocon(Config.Empty, new KeyPositions(), []));

        public static readonly LimitSettings Limits = Read.ReadLimits("gateway.limits", inherited: null, LimitSettings.Keys);

        public static readonly Cluster.ClusterSettings Cluster = Read.ReadShippedCluster();

        public static readonly bool JsonLogs = Read.ReadJsonLogs();

        public static readonly int? IoThreads = Read.ReadIoThreads();

        public static readonly AccessLogSettings? AccessLog = Read.ReadAccessLog();

        public static readonly TimeSpan IdleQuiet = Read.Duration("gateway.drain.idle-quiet");

        public static readonly TimeSpan CloseSpread = Read.Duration("gateway.drain.close-spread");

        public static readonly TimeSpan GoAwayAckTimeout = Read.Duration("gateway.drain.goaway-ack-timeout");

        public static readonly ListenerProtocol Protocol = Enum.Parse<ListenerProtocol>(Text($"gateway.{DefaultsKey}.listener.protocol"), ignoreCase: true);

        public static readonly StreamSettings Streams = Read.ReadStreams($"gateway.{DefaultsKey}.route.streams");

        public static readonly ForwardingSettings Forwarding = Read.ReadForwarding($"gateway.{DefaultsKey}.route");

        /// <summary>What an upstream that sets none of its policy keys gets.</summary>
        public static class Upstream
        {
            private const string Key = $"gateway.{DefaultsKey}.upstream";

            public static readonly TimeSpan EjectFor = Read.Duration($"{Key}.eject-for");

            public static readonly int EjectAfter5xx = Read.Int($"{Key}.eject-after-5xx");

            public static readonly TimeSpan SlowStart = Read.Duration($"{Key}.slow-start");

            public static readonly int Retries = Read.Int($"{Key}.retries");

            public static readonly int RetryBuffer = (int)Read.Bytes($"{Key}.retry-buffer");

            public static readonly double RetryBudget = Read.Share($"{Key}.retry-budget");

            public static readonly TimeSpan DnsRefresh = Read.Duration($"{Key}.dns-refresh");
        }

        /// <summary>The default of <paramref name="key"/> as reference.conf writes it (a key of a named object: its <c>gateway.defaults</c> entry).</summary>
        public static string Text(string key) =>
            Config.GetValue(DefaultKey(key)) is { IsEmpty: false } value ? value.GetString() : throw new KeyNotFoundException($"{ReferenceName} has no default for {key}");

        /// <summary>The default of <paramref name="key"/>, or null when reference.conf leaves it unset or empty.</summary>
        public static string? String(string key) => Config.GetValue(DefaultKey(key)) is { IsEmpty: false } value ? value.GetString() : null;
    }
}
