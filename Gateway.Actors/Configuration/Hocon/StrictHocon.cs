using Akka.Configuration;

namespace Gateway.Configuration.Hocon;

/// <summary>A configuration as the user's files wrote it (no defaults yet), with where each key was written.</summary>
internal sealed record ParsedHocon(Config User, KeyPositions Positions, IReadOnlyList<string> Notes);

/// <summary>
/// The configuration reader in two steps: the strict reader (<see cref="HoconLexer"/>, <see cref="HoconOutline"/>)
/// checks every file, follows the includes and resolves the substitutions; then Akka's HOCON library parses text it
/// can no longer misread. Akka reads the very <see cref="Config"/> that comes out, so both see the same values.
/// </summary>
internal static class StrictHocon
{
    /// <param name="folder">Where the includes of <paramref name="file"/> are looked up.</param>
    /// <param name="reference">The defaults, which substitutions may name too.</param>
    /// <exception cref="GatewayConfigException">The text, an include or a substitution is refused.</exception>
    public static ParsedHocon Parse(string text, string file, string folder, Config reference)
    {
        var documents = HoconDocuments.Load(text, file, folder);
        var positions = KeyPositions.Of(documents);
        if (documents.SubstitutionCount == 0)
            return new ParsedHocon(HoconRewrite.Parse(documents, _ => null), positions, documents.Notes);

        var resolver = new SubstitutionResolver(documents);
        resolver.LookUpIn(HoconRewrite.Parse(documents, resolver.Placeholder).WithFallback(reference));
        var replacements = new string?[documents.SubstitutionCount];
        var problems = new List<GatewayConfigException>();
        for (var id = 0; id < replacements.Length; id++)
        {
            try
            {
                replacements[id] = resolver.Replacement(id);
            }
            catch (GatewayConfigException e)
            {
                problems.Add(e);
            }
        }
        if (problems.Count > 0) throw new GatewayConfigException(problems);
        if (replacements.Sum(r => (long)(r?.Length ?? 0)) > HoconDocuments.MaxChars)
            throw new GatewayConfigException(file, GatewayConfigException.FileKey,
                $"the substitutions' values hold more than {HoconDocuments.MaxChars / 1024 / 1024} MiB of text");
        return new ParsedHocon(HoconRewrite.Parse(documents, id => replacements[id]), positions, documents.Notes);
    }
}
