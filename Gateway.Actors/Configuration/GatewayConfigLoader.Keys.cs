using Akka.Configuration.Hocon;

namespace Gateway.Configuration;

public static partial class GatewayConfigLoader
{
    private sealed partial class Reader
    {
        /// <summary>The file holds <c>gateway</c> and <c>akka</c> only, and under <c>gateway</c> the keys of <see cref="ConfigSchema"/>.</summary>
        private void CheckSections()
        {
            foreach (var key in config.Root.GetObject().Items.Keys)
                if (key is not ("gateway" or "akka"))
                    _problems.Add(Error(key, ConfigSchema.Nearest(key, ["gateway", "akka"]) is { } nearest
                        ? $"unknown key; did you mean `{nearest}`?"
                        : "unknown key: the file holds `gateway { … }` and, optionally, `akka { … }`"));
            var root = config.GetValue("gateway");
            if (root is null || !root.IsObject())
                throw Error("gateway", "missing: the file must have a `gateway { … }` section");
            foreach (var (key, value) in root.GetObject().Items)
            {
                if (key == DefaultsKey)
                {
                    // reference.conf's own: what each named object leaves out. A file sets the key on the object itself.
                    if (parsed.User.HasPath($"gateway.{DefaultsKey}"))
                        _problems.Add(Error($"gateway.{DefaultsKey}",
                            "holds the gateway's own defaults (hocon/reference.conf): set the key on each listener, route or upstream instead"));
                    continue;
                }
                Check(() => CheckKeys("gateway", new Dictionary<string, HoconValue> { [key] = value }, ConfigSchema.Gateway));
            }
        }

        private void CheckKeys(string path, IDictionary<string, HoconValue> items, ConfigSchema.Node schema)
        {
            foreach (var (key, value) in items)
            {
                var full = $"{path}.{key}";
                if (schema.Named is { } named)
                {
                    if (!value.IsObject())
                        throw Error(full, "must be an object `{ … }`");
                    CheckKeys(full, value.GetObject().Items, named);
                    continue;
                }
                if (!schema.Keys.TryGetValue(key, out var child))
                {
                    var nearest = ConfigSchema.Nearest(key, schema.Keys.Keys);
                    throw Error(full, nearest is null
                        ? $"unknown key (known here: {string.Join(", ", schema.Keys.Keys)})"
                        : $"unknown key; did you mean `{nearest}`?");
                }
                if (child is not null)
                {
                    if (!value.IsObject())
                        throw Error(full, "must be an object `{ … }`");
                    CheckKeys(full, value.GetObject().Items, child);
                }
            }
        }

        /// <summary>The names of the objects under <paramref name="path"/> (listeners, routes, upstreams), in file order.</summary>
        private IEnumerable<string> Named(string path)
        {
            var value = config.GetValue(path);
            return value is not null && value.IsObject() ? value.GetObject().Items.Keys.ToList() : [];
        }
    }
}
