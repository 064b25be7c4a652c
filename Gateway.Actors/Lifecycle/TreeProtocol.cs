namespace Gateway.Lifecycle;

/// <summary>Describing the live actor tree for operators (GET /tree); answered at lifecycle speed, never per request.</summary>
internal static class TreeProtocol
{
    /// <summary>Asks a node for itself and its children.</summary>
    public sealed record GetTree
    {
        public static readonly GetTree Instance = new();
        public override string ToString() => "GetTree";
    }

    /// <summary>One actor of the tree: its name, what it is, the work it holds, and its children.</summary>
    public sealed record TreeNode(string Name, string Kind, int InFlight, IReadOnlyList<TreeNode> Children)
    {
        public override string ToString() => $"{Kind} {Name} (in flight {InFlight}, {Children.Count} children)";
    }
}
