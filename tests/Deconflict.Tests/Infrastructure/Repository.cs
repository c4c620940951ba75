namespace Deconflict.Tests.Infrastructure;

/// <summary>The repository the tests were built from, for tests that read its files (README, deploy/, the console's sources).</summary>
internal static class Repository
{
    /// <summary>The nearest directory above the test assembly that holds Deconflict.slnx.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Deconflict.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository's root (Deconflict.slnx) is not above " + AppContext.BaseDirectory);
    }
}
