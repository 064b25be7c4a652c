using Gateway.Connections;
using Xunit;

namespace Gateway.Tests.Connections;

/// <summary>A connection's items behave as the dictionary Kestrel and middlewares expect, however many they hold.</summary>
public sealed class ConnectionItemsTests
{
    [Fact]
    public void Items_are_found_by_key_overwritten_in_place_and_removed_keeping_the_others_in_order()
    {
        var items = new ConnectionItems();
        var keys = Enumerable.Range(0, 5).Select(_ => new object()).ToArray();
        for (var i = 0; i < keys.Length; i++) items[keys[i]] = i;

        items[keys[1]] = "one";
        Assert.True(items.Remove(keys[0]));
        Assert.False(items.Remove(keys[0]));

        Assert.Equal(4, items.Count);
        Assert.Equal(new object?[] { "one", 2, 3, 4 }, items.Values);
        Assert.Equal(keys[1..], items.Keys);
        Assert.True(items.TryGetValue(keys[4], out var last));
        Assert.Equal(4, last);
        Assert.False(items.ContainsKey(keys[0]));
        Assert.Throws<KeyNotFoundException>(() => items[keys[0]]);
    }

    [Fact]
    public void Adding_a_key_twice_is_refused_and_clearing_empties_it()
    {
        var key = new object();
        var items = new ConnectionItems { { key, 1 } };

        Assert.Throws<ArgumentException>(() => items.Add(key, 2));
        Assert.Equal(1, items[key]);
        Assert.Contains(new KeyValuePair<object, object?>(key, 1), (IEnumerable<KeyValuePair<object, object?>>)items);

        items.Clear();
        Assert.Empty(items);
        Assert.False(items.TryGetValue(key, out _));
    }

    [Fact]
    public void Copying_out_gives_every_entry_at_the_offset_asked()
    {
        var (a, b) = (new object(), new object());
        var items = new ConnectionItems { [a] = "a", [b] = "b" };
        var copy = new KeyValuePair<object, object?>[3];

        items.CopyTo(copy, 1);

        Assert.Equal([default, new(a, "a"), new(b, "b")], copy);
    }
}
