using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration.Memory;

namespace Deconflict.Cli;

/// <summary>
/// The settings of <c>deconflict serve</c>, each from the first of: the command line, a
/// <c>DECONFLICT_*</c> environment variable, <c>appsettings.json</c> in the working directory (or the
/// file given with --config), the option's default. One <see cref="IConfiguration"/> holds the three
/// sources in that precedence; a setting's key is its option's name in snake_case
/// (<c>--horizontal-buffer</c>: <c>horizontal_buffer</c> in the file,
/// <c>DECONFLICT_HORIZONTAL_BUFFER</c> in the environment), and a value that does not read is
/// refused naming where it came from. A list (--webhook-allow) is taken whole from the first source
/// that has it: a JSON array, or one text separated by ','.
/// </summary>
internal sealed class ServeConfiguration
{
    /// <summary>The prefix of the environment variables the server reads.</summary>
    public const string Prefix = "DECONFLICT_";

    /// <summary>The file read from the working directory when --config is not given (if it is there).</summary>
    public const string DefaultFile = "appsettings.json";

    /// <summary>Keys the file may hold that are not options: the admin token, and the host's own logging section.</summary>
    private static readonly string[] OtherKeys = ["admin_token", "Logging"];

    private readonly ParseResult _parse;
    private readonly IReadOnlyDictionary<string, Option> _options;
    private readonly string? _file;
    private readonly IConfigurationProvider? _fileProvider;
    private readonly IConfigurationProvider _environment;
    private readonly IConfigurationProvider _commandLine;

    private ServeConfiguration(ParseResult parse, IReadOnlyDictionary<string, Option> options, IConfigurationRoot root, string? file)
    {
        _parse = parse;
        _options = options;
        _file = file;
        var providers = root.Providers.ToList();
        _fileProvider = file is null ? null : providers[0];
        _environment = providers[^2];
        _commandLine = providers[^1];
        Root = root;
    }

    /// <summary>The three sources, the command line last (first in precedence).</summary>
    public IConfigurationRoot Root { get; }

    /// <summary>Settings whose key is not their option's name: a repeatable option named for one value, whose key names the list.</summary>
    private static readonly Dictionary<string, string> ListKeys = new(StringComparer.Ordinal) { ["--trusted-proxy"] = "trusted_proxies" };

    /// <summary>A setting's key: the option's name without its dashes, in snake_case (a list's own name where it has one).</summary>
    public static string Key(Option option) => ListKeys.TryGetValue(option.Name, out var key) ? key : option.Name.TrimStart('-').Replace('-', '_');

    /// <summary>The environment variable of a setting.</summary>
    public static string Variable(string key) => Prefix + key.ToUpperInvariant();

    /// <summary>
    /// Reads the file (<paramref name="configFile"/>, or appsettings.json in the working directory if
    /// there is one), the environment, and what the command line gave of <paramref name="options"/>.
    /// </summary>
    /// <exception cref="CliException">The file is missing (when named), not JSON, or holds a key that is no setting.</exception>
    public static ServeConfiguration Read(ParseResult parse, IEnumerable<Option> options, string? configFile)
    {
        var byKey = options.ToDictionary(Key, o => o, StringComparer.OrdinalIgnoreCase);
        string? file = null;
        if (configFile is not null)
        {
            file = Path.GetFullPath(configFile);
            if (!File.Exists(file))
            {
                throw new CliException(Directory.Exists(file) ? $"--config {file} is a directory; give a JSON file." : $"--config: there is no file {file}.", 2);
            }
        }
        else if (File.Exists(DefaultFile))
        {
            file = Path.GetFullPath(DefaultFile);
        }

        var given = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, option) in byKey)
        {
            if (parse.GetResult(option) is { Implicit: false } result)
            {
                // A flag alone is "true"; each value of a list is its own entry, as in JSON.
                if (result.Tokens.Count == 0)
                {
                    given[key] = "true";
                }
                else if (option.ValueType.IsArray)
                {
                    for (var i = 0; i < result.Tokens.Count; i++)
                    {
                        given[string.Create(CultureInfo.InvariantCulture, $"{key}:{i}")] = result.Tokens[i].Value;
                    }
                }
                else
                {
                    given[key] = result.Tokens[^1].Value;
                }
            }
        }

        var builder = new ConfigurationBuilder();
        if (file is not null)
        {
            builder.AddJsonFile(file, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables(Prefix);
        builder.Add(new MemoryConfigurationSource { InitialData = given });
        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (InvalidDataException e)
        {
            throw new CliException($"The configuration file {file} is not valid JSON: {CliUsage.Plain((e.InnerException ?? e).Message.ReplaceLineEndings(" ").TrimEnd('.'))}.", 2);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot read the configuration file {file}: {CliUsage.Plain(e.Message.ReplaceLineEndings(" ").TrimEnd('.'))}.");
        }

        var configuration = new ServeConfiguration(parse, byKey, root, file);
        if (configuration._fileProvider is { } read)
        {
            var unknown = read.GetChildKeys([], null).Distinct(StringComparer.OrdinalIgnoreCase)
                .FirstOrDefault(k => !byKey.ContainsKey(k) && !OtherKeys.Contains(k, StringComparer.OrdinalIgnoreCase));
            if (unknown is not null)
            {
                throw new CliException($"The configuration file {file} has '{unknown}', which is not a setting of deconflict serve (its keys are the options' names in snake_case, like horizontal_buffer; see deconflict serve --help).", 2);
            }
        }

        return configuration;
    }

    /// <summary>Whether the command line gave the option.</summary>
    public bool OnCommandLine(Option option) => _parse.GetResult(option) is { Implicit: false };

    /// <summary>Where the setting's value comes from, as the user would name it: "--store", "DECONFLICT_STORE", "store in /srv/appsettings.json".</summary>
    public string Name(string key)
    {
        var source = Source(key);
        return source == _environment ? Variable(key)
            : source is not null && source == _fileProvider ? $"{key} in {_file}"
            : _options.TryGetValue(key, out var option) ? option.Name
            : Variable(key);
    }

    /// <summary>The setting's value as text from the environment or the file (the command line's is read typed), or null when neither has it.</summary>
    public string? Text(string key)
    {
        var source = Source(key);
        return source is null ? null : Scalar(source, key) ?? string.Join(',', Items(source, key));
    }

    /// <summary>The value of <paramref name="option"/>: the command line's, else the environment's or the file's read as the option reads it, else its default.</summary>
    /// <exception cref="CliException">The environment's or the file's value does not read (exit code 2, naming where it came from).</exception>
    public T Value<T>(Option<T> option)
    {
        var key = Key(option);
        var source = Source(key);
        if (source is null || source == _commandLine)
        {
            return _parse.GetValue(option)!;
        }

        var name = Name(key);
        if (typeof(T) == typeof(string[]))
        {
            var items = Scalar(source, key) is { } text ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : Items(source, key);
            return (T)(object)items;
        }

        var value = (Scalar(source, key) ?? string.Empty).Trim();
        object? read = typeof(T) switch
        {
            var t when t == typeof(string) => value,
            var t when t == typeof(int) => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null,
            var t when t == typeof(double) => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null,
            var t when t == typeof(bool) => bool.TryParse(value, out var b) ? b : null,
            { IsEnum: true } t => Enum.GetNames(t).FirstOrDefault(n => n.Equals(value, StringComparison.OrdinalIgnoreCase)) is { } n ? Enum.Parse(t, n) : null,
            _ => throw new NotSupportedException($"A serve option of type {typeof(T).Name} has no reading from text."),
        };
        return read is T typed ? typed : throw CliException.Usage($"{name} needs {Kind(typeof(T))}; '{value}' is not.");
    }

    private static string Kind(Type type) => type switch
    {
        _ when type == typeof(int) => "a whole number",
        _ when type == typeof(double) => "a number",
        _ when type == typeof(bool) => "true or false",
        { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant())),
        _ => "a value",
    };

    private static string? Scalar(IConfigurationProvider source, string key) => source.TryGet(key, out var value) ? value : null;

    private static string[] Items(IConfigurationProvider source, string key) =>
        [.. source.GetChildKeys([], key).Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderBy(k => int.TryParse(k, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue)
            .Select(k => Scalar(source, $"{key}:{k}"))
            .OfType<string>()];

    /// <summary>The first source in precedence that has the key (a value, or items of a list).</summary>
    private IConfigurationProvider? Source(string key)
    {
        foreach (var provider in Root.Providers.Reverse())
        {
            if ((provider.TryGet(key, out var value) && value is not null) || provider.GetChildKeys([], key).Any())
            {
                return provider;
            }
        }

        return null;
    }
}
