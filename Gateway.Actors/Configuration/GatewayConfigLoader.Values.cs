using System.Globalization;
using System.Net;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Gateway.Configuration;

public static partial class GatewayConfigLoader
{
    /// <summary>The section of reference.conf that holds what each named listener, route and upstream leaves out.</summary>
    internal const string DefaultsKey = "defaults";

    /// <summary>The named objects and the object of <c>gateway.defaults</c> each one's missing keys are read from.</summary>
    private static readonly (string Prefix, string Defaults)[] NamedObjects =
    [
        ("gateway.listeners.", $"gateway.{DefaultsKey}.listener."),
        ("gateway.routes.", $"gateway.{DefaultsKey}.route."),
        ("gateway.upstreams.", $"gateway.{DefaultsKey}.upstream."),
    ];

    /// <summary>
    /// The key of reference.conf that holds the default of <paramref name="key"/>: itself, or for a key of a named
    /// object (<c>gateway.upstreams.api.retries</c>) its key in <c>gateway.defaults</c> (<c>gateway.defaults.upstream.retries</c>).
    /// </summary>
    internal static string DefaultKey(string key)
    {
        foreach (var (prefix, defaults) in NamedObjects)
            if (key.StartsWith(prefix, StringComparison.Ordinal) && key.IndexOf('.', prefix.Length) is var dot and > 0)
                return defaults + key[(dot + 1)..];
        return key;
    }

    /// <summary>The typed values: each reads the file's value, or else the default reference.conf gives.</summary>
    private sealed partial class Reader
    {
        /// <summary>Where the value of <paramref name="key"/> is read: the key when it is set, else its default.</summary>
        private string From(string key) => config.HasPath(key) ? key : DefaultKey(key);

        private bool Has(string key) => config.HasPath(From(key));

        private HoconValue? Value(string key) => config.GetValue(From(key));

        internal string? String(string key)
        {
            var value = Value(key);
            if (value is null || value.IsEmpty) return null;
            if (!value.IsString())
                throw Error(key, "must be a string");
            return value.GetString();
        }

        /// <summary>A choice written empty (<c>format = ""</c>) is the default's.</summary>
        private string? StringOrDefault(string key) => String(key) ?? Shipped.String(key);

        internal int Int(string key)
        {
            if (!Has(key)) throw Error(key, "missing");
            var text = String(key);
            return int.TryParse(text, out var n) ? n : throw Error(key, $"\"{text}\" is not a whole number");
        }

        internal bool Bool(string key)
        {
            if (!Has(key)) throw Error(key, "missing: write on or off");
            return String(key)?.ToLowerInvariant() switch
            {
                "on" or "true" or "yes" => true,
                "off" or "false" or "no" => false,
                var text => throw Error(key, $"\"{text}\" is not on or off"),
            };
        }

        /// <summary>A duration with its unit written (<c>500ms</c>, <c>30s</c>): a bare number is refused, not read as milliseconds.</summary>
        internal TimeSpan Duration(string key)
        {
            if (!Has(key)) throw Error(key, "missing");
            var text = String(key) ?? throw Error(key, "missing: write a duration, e.g. 30s");
            return ConfigUnits.TryParseDuration(text, out var value, out var problem) ? value : throw Error(key, problem);
        }

        /// <summary>A size with its unit written (<c>8KiB</c>, <c>30MiB</c>, <c>512B</c>).</summary>
        internal long Bytes(string key)
        {
            if (!Has(key)) throw Error(key, "missing");
            var text = String(key) ?? throw Error(key, "missing: write a size, e.g. 8KiB");
            return ConfigUnits.TryParseSize(text, out var value, out var problem) ? value : throw Error(key, problem);
        }

        /// <summary>A share written <c>20%</c> or <c>0.2</c>, from 0 to 1.</summary>
        internal double Share(string key)
        {
            if (!Has(key)) throw Error(key, "missing");
            var text = String(key)?.Trim() ?? "";
            var percent = text.EndsWith('%');
            if (!double.TryParse(percent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                throw Error(key, $"\"{text}\" is not a share: write e.g. 20% or 0.2");
            if (percent) value /= 100;
            return value is >= 0 and <= 1 ? value : throw Error(key, $"\"{text}\" is not a share from 0% to 100%");
        }

        private int Port(string key)
        {
            var port = Int(key);
            return port is >= 1 and <= 65535 ? port : throw Error(key, $"{port} is not a port (1–65535)");
        }

        private IPEndPoint Address(string key)
        {
            var text = String(key) ?? throw Error(key, "missing: write host:port, e.g. \"127.0.0.1:8080\"");
            if (TryParseAddress(text, out var endpoint))
                return endpoint;
            throw Error(key, $"\"{text}\" is not an address: write ip:port, [ipv6]:port or localhost:port (port 0–65535)");
        }

        /// <summary>Where relative certificate paths start: the config file's folder (the working folder for the embedded default).</summary>
        private string Folder => FolderOf(source);

        private string File(string key, string? text) =>
            string.IsNullOrWhiteSpace(text) ? throw Error(key, "must name a file") : Path.GetFullPath(text, Folder);
    }
}
