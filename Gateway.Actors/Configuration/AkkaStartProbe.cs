using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Configuration;

namespace Gateway.Configuration;

/// <summary>
/// Starts (and at once stops) an actor system on the configuration's <c>akka</c> part, local and silent, so that a
/// value Akka refuses at start — a dispatcher, a mailbox, a serializer it cannot load — is a config error before any
/// listener is bound, not a crash after. Remoting and the cluster are left to <see cref="AkkaConfigCheck"/>: starting
/// them would bind their port. The answer for a given <c>akka</c> part is remembered, so a reload or a check of an
/// unchanged part costs nothing.
/// </summary>
internal static partial class AkkaStartProbe
{
    private const int Remembered = 64;
    private static readonly ConcurrentDictionary<string, string?> Answers = new(StringComparer.Ordinal);

    private static readonly Config Quiet = ConfigurationFactory.ParseString("""
        akka {
          actor.provider = local
          loglevel = OFF
          stdout-loglevel = OFF
          loggers = ["Akka.Event.DefaultLogger"]
          log-config-on-start = off
          log-dead-letters = off
          extensions = []
          coordinated-shutdown.run-by-clr-shutdown-hook = off
        }
        """);

    /// <summary>Why an actor system does not start on <paramref name="merged"/>, or null when it does.</summary>
    public static string? Problem(Config merged)
    {
        var akka = merged.GetValue("akka")?.ToString() ?? "";
        if (Answers.TryGetValue(akka, out var known)) return known;
        var problem = Start(merged);
        if (Answers.Count >= Remembered) Answers.Clear();
        Answers[akka] = problem;
        return problem;
    }

    /// <summary>The <c>akka.*</c> key an Akka start failure names, if it names one.</summary>
    public static string? KeyIn(string problem) => AkkaKey().Match(problem) is { Success: true } match ? match.Value.TrimEnd('.') : null;

    private static string? Start(Config merged)
    {
        ActorSystem? system = null;
        try
        {
            system = ActorSystem.Create("gateway-check", Quiet.WithFallback(merged));
            return null;
        }
        catch (Exception e)
        {
            var reason = e is System.Reflection.TargetInvocationException { InnerException: { } inner } ? inner : e;
            return $"the actor system does not start with it: {ConfigGuard.OneLine(reason.Message)}";
        }
        finally
        {
            system?.Terminate().Wait(TimeSpan.FromSeconds(5));
        }
    }

    [GeneratedRegex(@"akka(\.[A-Za-z0-9_-]+)+")]
    private static partial Regex AkkaKey();
}
