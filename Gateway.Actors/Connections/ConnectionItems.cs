using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Connections;

/// <summary>
/// A connection's items (<c>ConnectionContext.Items</c>) for the few the gateway keeps there — its
/// <see cref="KestrelConnection"/>, on TLS the handshake's state: a short array searched in order. Kestrel's own is a
/// dictionary with its buckets, ~230 bytes more that every idle connection would hold for one or two entries.
/// </summary>
internal sealed class ConnectionItems : IDictionary<object, object?>
{
    private KeyValuePair<object, object?>[] _entries = new KeyValuePair<object, object?>[2];
    private int _count;

    /// <summary>
    /// Gives the connection these items, before anything is kept in them (reading Kestrel's first would make its
    /// dictionary): when it arrives (<see cref="KestrelConnection.Arrive"/>).
    /// </summary>
    public static void Install(ConnectionContext context) => context.Items = new ConnectionItems();

    public object? this[object key]
    {
        get => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException();
        set
        {
            var at = IndexOf(key);
            if (at >= 0) _entries[at] = new(key, value);
            else Append(key, value);
        }
    }

    public int Count => _count;
    public bool IsReadOnly => false;
    public ICollection<object> Keys => [.. this.Select(e => e.Key)];
    public ICollection<object?> Values => [.. this.Select(e => e.Value)];

    public void Add(object key, object? value)
    {
        if (IndexOf(key) >= 0) throw new ArgumentException("An item with the same key has already been added.", nameof(key));
        Append(key, value);
    }

    public void Add(KeyValuePair<object, object?> item) => Add(item.Key, item.Value);

    public bool TryGetValue(object key, [MaybeNullWhen(false)] out object? value)
    {
        var at = IndexOf(key);
        value = at >= 0 ? _entries[at].Value : null;
        return at >= 0;
    }

    public bool ContainsKey(object key) => IndexOf(key) >= 0;

    public bool Contains(KeyValuePair<object, object?> item) =>
        TryGetValue(item.Key, out var value) && EqualityComparer<object?>.Default.Equals(value, item.Value);

    public bool Remove(object key)
    {
        var at = IndexOf(key);
        if (at < 0) return false;
        Array.Copy(_entries, at + 1, _entries, at, _count - at - 1);
        _entries[--_count] = default;
        return true;
    }

    public bool Remove(KeyValuePair<object, object?> item) => Contains(item) && Remove(item.Key);

    public void Clear()
    {
        Array.Clear(_entries, 0, _count);
        _count = 0;
    }

    public void CopyTo(KeyValuePair<object, object?>[] array, int arrayIndex) => Array.Copy(_entries, 0, array, arrayIndex, _count);

    public IEnumerator<KeyValuePair<object, object?>> GetEnumerator()
    {
        for (var i = 0; i < _count; i++) yield return _entries[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(object key)
    {
        ArgumentNullException.ThrowIfNull(key);
        for (var i = 0; i < _count; i++)
            if (Equals(_entries[i].Key, key)) return i;
        return -1;
    }

    private void Append(object key, object? value)
    {
        if (_count == _entries.Length) Array.Resize(ref _entries, _count * 2);
        _entries[_count++] = new(key, value);
    }
}
