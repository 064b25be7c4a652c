namespace Gateway.Connections;

/// <summary>
/// A connection that cannot be told to go away (raw TCP) but may be closed during a drain once it has carried no
/// byte for <see cref="IdleTimeout"/>; its <see cref="ConnectionActor"/> keeps the timer.
/// </summary>
public interface IIdleClosable
{
    /// <summary>How long it may stay idle during a drain; null: until it ends or the deadline.</summary>
    TimeSpan? IdleTimeout { get; }

    /// <summary>Closes it gracefully (FIN both ways): it was idle, so nothing is cut short.</summary>
    void CloseIdle();
}
