namespace Gateway.Lifecycle;

/// <summary>A drain's timeline: how long listeners keep accepting, when what is left is forced, how idle connections close.</summary>
internal sealed record DrainTimeline(TimeSpan Announce, TimeSpan Deadline, IdleClosePolicy IdleClose);
