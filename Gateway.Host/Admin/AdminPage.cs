namespace Gateway.Host.Admin;

/// <summary>The live admin page (GET /), served from an embedded file: no CDN, no build step.</summary>
internal static class AdminPage
{
    public static readonly string Html = Read();

    private static string Read()
    {
        using var stream = typeof(AdminPage).Assembly.GetManifestResourceStream("Gateway.Host.Admin.admin.html")
            ?? throw new InvalidOperationException("the admin page is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
