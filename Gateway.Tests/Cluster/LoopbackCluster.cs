using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Tests.Support;
using Xunit.Abstractions;

namespace Gateway.Tests.Cluster;

/// <summary>
/// Gateway nodes as real processes on 127.0.0.1, each with its own HTTP, admin and remoting port, joined into one
/// cluster through the first node (the seed).
/// </summary>
public sealed class LoopbackCluster : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly Func<int, string> _body;
    private readonly string _clusterKeys;
    private readonly int _seedPort;

    private LoopbackCluster(ITestOutputHelper output, Func<int, string> body, string clusterKeys, int seedPort)
    {
        _output = output;
        _body = body;
        _clusterKeys = clusterKeys;
        _seedPort = seedPort;
    }

    public List<Node> Nodes { get; } = [];

    /// <summary>One gateway process of the cluster.</summary>
    public sealed record Node(int Index, GatewayProcess Process, int RemotingPort, IPEndPoint Public, IPEndPoint Admin) : IDisposable
    {
        public HttpClient AdminClient { get; } = new() { BaseAddress = new Uri($"http://{Admin}"), Timeout = TimeSpan.FromSeconds(10) };
        public string Address => $"akka.tcp://gateway@127.0.0.1:{RemotingPort}";
        public void Dispose() => AdminClient.Dispose();
    }

    /// <summary>Ports that were free a moment ago (bound together, so they are distinct, then released).</summary>
    public static int[] FreePorts(int count)
    {
        var sockets = Enumerable.Range(0, count).Select(_ =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return socket;
        }).ToList();
        var ports = sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToArray();
        sockets.ForEach(s => s.Dispose());
        return ports;
    }

    /// <summary>A node's gateway body that proxies everything to <paramref name="upstream"/> with this drain deadline.</summary>
    public static string ProxyBody(string upstream, string deadline) => $$"""
        listeners.public { address = "127.0.0.1:0" }
        upstreams.app { endpoints = ["{{upstream}}"], response-timeout = 60s }
        routes.app    { listener = public, path-prefix = "/", upstream = app }
        drain { announce = 0s, deadline = {{deadline}} }
        """;

    /// <summary>Starts <paramref name="count"/> nodes and waits until every one is Up in the seed's view.</summary>
    /// <param name="body">The gateway keys of node i (listeners, routes, upstreams, drain).</param>
    /// <param name="clusterKeys">Extra keys inside gateway.cluster { … } for every node.</param>
    public static async Task<LoopbackCluster> StartAsync(int count, Func<int, string> body, string clusterKeys, ITestOutputHelper output)
    {
        var ports = FreePorts(count);
        var cluster = new LoopbackCluster(output, body, clusterKeys, ports[0]);
        try
        {
            var processes = ports.Select((port, i) => GatewayProcess.StartWithConfig(cluster.Config(i, port))).ToList();
            for (var i = 0; i < count; i++)
                cluster.Nodes.Add(await NodeOf(i, processes[i], ports[i]));
            await cluster.WaitUntilUpAsync(count, TimeSpan.FromSeconds(30));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more node that joins the running cluster.</summary>
    public async Task<Node> AddNodeAsync()
    {
        var port = FreePorts(1)[0];
        var index = Nodes.Count;
        var node = await NodeOf(index, GatewayProcess.StartWithConfig(Config(index, port)), port);
        Nodes.Add(node);
        return node;
    }

    private static async Task<Node> NodeOf(int index, GatewayProcess process, int port)
    {
        var addresses = await process.WaitUntilReadyAsync(TimeSpan.FromSeconds(40));
        return new Node(index, process, port, addresses["public"], addresses["admin"]);
    }

    private string Config(int index, int port) => $$"""
        gateway {
          admin.address = "127.0.0.1:0"
          {{_body(index)}}
          cluster {
            enabled = on
            hostname = "127.0.0.1"
            port = {{port}}
            seed-nodes = ["127.0.0.1:{{_seedPort}}"]
            {{_clusterKeys}}
          }
        }
        """;

    /// <summary>GET /cluster of <paramref name="node"/>, parsed.</summary>
    public static async Task<JsonElement> ViewAsync(Node node)
    {
        var json = await node.AdminClient.GetStringAsync("/cluster");
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    /// <summary>The members of <paramref name="node"/>'s view with their status.</summary>
    public static async Task<Dictionary<string, string>> MembersAsync(Node node) =>
        (await ViewAsync(node)).GetProperty("members").EnumerateArray()
            .ToDictionary(m => m.GetProperty("address").GetString()!, m => m.GetProperty("status").GetString()!);

    public async Task WaitUntilUpAsync(int count, TimeSpan limit)
    {
        await Wait.UntilAsync(async () =>
        {
            var members = await MembersAsync(Nodes[0]);
            return members.Count == count && members.Values.All(s => s == "Up");
        }, limit: limit);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            _output.WriteLine($"--- node {node.Index} ({node.Address}), last lines:");
            foreach (var line in node.Process.Output.Where(l => l.Contains("Gateway.") || l.Contains("error") || l.Contains("fail")).TakeLast(25))
                _output.WriteLine(line);
            await node.Process.DisposeAsync();
            node.Dispose();
        }
    }
}
