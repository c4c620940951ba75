using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>
/// The verbs `op` and `zone` share: operations and zones are the same resource in the API
/// ("the same shape under /v1/zones", API.md), so one builder makes both command groups; a zone
/// adds its rule and name.
/// </summary>
public static partial class CliApp
{
    private static readonly string[] WriteStates = ["planned", "active"];
    private static readonly string[] DeclarationStates = ["planned", "active", "ended", "cancelled"];
    private static readonly string[] ZoneRules = ["exclusive", "protected", "advisory"];

    /// <summary>What `activate` sends again from the current version besides volumes and priority (state becomes active).</summary>
    private static readonly string[] CarriedOnActivation = ["details", "rule", "name"];

    /// <summary>A zone's members that a GeoJSON feature's properties may give.</summary>
    private static readonly string[] ZoneProperties = ["rule", "name"];

    private static Command DeclarationCommands(ClientOptions o, DeclarationResource r)
    {
        var (noun, title, path, example) = (r.Noun, r.Title, r.Path, r.ExampleFile);
        var file = new Argument<FileInfo>("file") { Description = $"The {noun}: an F3548 body (with \"volumes\"), or a GeoJSON Feature or FeatureCollection whose properties give altitudes with units and times" };
        var id = new Argument<string>("id") { Description = $"The {noun}'s id ({r.IdPrefix}...)" };
        var priority = new Option<int?>("--priority") { Description = "Priority from 0 to 1000; replaces the file's" };
        var state = new Option<string?>("--state") { Description = "planned or active; replaces the file's (the server's default is planned)" };
        var known = new Option<string[]>("--known")
        {
            Description = "ID@VERSION of an operation or zone you know this one conflicts with (repeat the option for each); with it, the server refuses the write (409 missing-awareness) if it would conflict with anything not listed at its current version",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var startAt = new Option<string?>("--start-at") { Description = "Move the file's time windows so the earliest starts at this time, each keeping its length: RFC 3339, or from now on the server's clock (+30m, +2h)" };
        var ifMatch = new Option<string?>("--if-match") { Description = $"The version you expect the {noun} to be at; refused (412) if it has changed since. Default: its current version" };
        Option<string?>? rule = r.IsZone ? new("--rule") { Description = "exclusive, protected or advisory; replaces the file's rule" } : null;
        Option<string?>? name = r.IsZone ? new("--name") { Description = "The zone's name, shown to every party; replaces the file's name" } : null;

        Command WithBodyOptions(Command c)
        {
            c.Options.Add(priority);
            c.Options.Add(state);
            c.Options.Add(known);
            c.Options.Add(startAt);
            if (rule is not null && name is not null)
            {
                c.Options.Add(rule);
                c.Options.Add(name);
            }

            return c;
        }

        async Task<(JsonObject Body, JsonNode File)> Body(ParseResult parse, ApiClient api)
        {
            var (body, input) = await ReadDeclarationFile(parse.GetValue(file), r.IsZone);
            if (parse.GetValue(startAt) is { } at)
            {
                TimeShift.MoveTo(body, await TimeShift.ParseAsync(at, async () => (await ServerClock.ReadAsync(api)).At));
            }

            if (parse.GetValue(priority) is { } p)
            {
                body["priority"] = p;
            }

            if (parse.GetValue(state) is { } s)
            {
                body["state"] = OneOf("--state", s, WriteStates);
            }

            if (parse.GetValue(known) is { Length: > 0 } refs)
            {
                body["known"] = new JsonArray([.. refs.Select(KnownRef)]);
            }

            if (rule is not null && name is not null)
            {
                if (parse.GetValue(rule) is { } zoneRule)
                {
                    body["rule"] = OneOf("--rule", zoneRule, ZoneRules);
                }

                if (parse.GetValue(name) is { } zoneName)
                {
                    body["name"] = string.IsNullOrWhiteSpace(zoneName) ? throw CliException.Usage("--name needs some text.") : zoneName;
                }

                if (body["rule"] is null || body["name"] is null)
                {
                    throw CliException.Usage("A zone needs a rule and a name: give --rule exclusive|protected|advisory and --name NAME, or rule and name properties in the file.");
                }
            }

            return (body, input);
        }

        var submit = WithBodyOptions(new Command("submit", $"Declare {r.Article} {noun} from a file; prints it and the conflicts it has") { file })
            .WithExamples($"deconflict {r.Command} submit {example}", $"deconflict {r.Command} submit {example} --start-at +1h --priority 20 --state active{r.ExampleOptions}");
        Act(submit, o, async (parse, api) =>
        {
            var (sent, input) = await Body(parse, api);
            var (body, _) = await InFile(input, () => api.Send(HttpMethod.Post, path, sent));
            var d = body![noun]!;
            return (body, async () => $"{title} {d["id"]} stored (version {d["version"]}, {d["state"]})." + await ConflictsText(api, body["conflicts"] as JsonArray));
        });

        var check = WithBodyOptions(new Command("check", $"Trial: the conflicts {r.Article} {noun} in the file would have; nothing is stored") { file })
            .WithExamples($"deconflict {r.Command} check {example}");
        Act(check, o, async (parse, api) =>
        {
            var (sent, input) = await Body(parse, api);
            var (body, _) = await InFile(input, () => api.Send(HttpMethod.Post, path + "/check", sent));
            var conflicts = body!["conflicts"]!.AsArray();
            return (body, async () => conflicts.Count == 0
                ? $"No conflicts: this {noun} could be declared as it is (nothing was stored)."
                : $"{conflicts.Count} conflict(s) if declared (nothing was stored):{Environment.NewLine}" + await ProspectiveTable(api, conflicts, noun));
        });

        var update = WithBodyOptions(new Command("update", $"Replace {r.Article} {noun} with the file's content (a new version)") { id, file, ifMatch })
            .WithExamples($"deconflict {r.Command} update {r.IdPrefix}0193... {example}", $"deconflict {r.Command} update {r.IdPrefix}0193... {example} --if-match 2");
        Act(update, o, async (parse, api) =>
        {
            var (sent, input) = await Body(parse, api);
            var target = Item(path, parse.GetValue(id)!);
            var version = await ExpectedVersion(api, target, parse.GetValue(ifMatch));
            var (body, _) = await InFile(input, () => api.Send(HttpMethod.Put, target, sent, ifMatch: version));
            var d = body![noun]!;
            return (body, async () => $"{title} {d["id"]} updated to version {d["version"]} ({d["state"]})." + await ConflictsText(api, body["conflicts"] as JsonArray));
        });

        var show = new Command("show", $"Everything about {r.Article} {noun}: party, version, state, priority, time window, altitudes, each volume, and details if it is yours") { id }
            .WithExamples($"deconflict {r.Command} show {r.IdPrefix}0193...");
        Act(show, o, async (parse, api) =>
        {
            var (body, _) = await api.Send(HttpMethod.Get, Item(path, parse.GetValue(id)!));
            return (body, () => Task.FromResult(DeclarationDetail(title, body!)));
        });

        var listState = new Option<string?>("--state") { Description = "Only those in this state: planned, active, ended or cancelled" };
        var party = new Option<string?>("--party") { Description = $"Only this party's {noun}s" };
        var bbox = new Option<string?>("--bbox") { Description = "Only those over this box: min_lng,min_lat,max_lng,max_lat in degrees" };
        var start = new Option<string?>("--start") { Description = "Only those ending after this time (RFC 3339, e.g. 2027-06-01T09:00:00Z)" };
        var end = new Option<string?>("--end") { Description = "Only those starting before this time (RFC 3339)" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (the server's default is 100)" };
        var cursor = new Option<string?>("--cursor") { Description = "Continue a list from where the previous page ended" };
        var list = new Command("list", $"List {noun}s with their names, time windows, altitudes and places") { listState, party, bbox, start, end, limit, cursor }
            .WithExamples($"deconflict {r.Command} list", $"deconflict {r.Command} list --state active --bbox 38.5,35.5,39.5,36.5 --start 2027-06-01T00:00:00Z");
        Act(list, o, async (parse, api) =>
        {
            var query = Query(
                ("state", parse.GetValue(listState) is { } s ? OneOf("--state", s, DeclarationStates) : null),
                ("party", parse.GetValue(party)),
                ("bbox", parse.GetValue(bbox)),
                ("start", parse.GetValue(start)),
                ("end", parse.GetValue(end)),
                ("limit", parse.GetValue(limit)?.ToString(CultureInfo.InvariantCulture)),
                ("cursor", parse.GetValue(cursor)));
            var (body, _) = await api.Send(HttpMethod.Get, path + query);
            var text = DeclarationTable(body!["items"]!.AsArray(), r.IsZone);
            return (body, () => Task.FromResult(FileJson.Text(body["next_cursor"]) is { } next ? $"{text}{Environment.NewLine}More: add --cursor {next}" : text));
        });

        var cancel = new Command("cancel", $"Cancel {r.Article} {noun}: it stays, as cancelled, and its conflicts resolve") { id, ifMatch }
            .WithExamples($"deconflict {r.Command} cancel {r.IdPrefix}0193...", $"deconflict {r.Command} cancel {r.IdPrefix}0193... --if-match 3");
        Act(cancel, o, async (parse, api) =>
        {
            var target = Item(path, parse.GetValue(id)!);
            var (body, _) = await api.Send(HttpMethod.Delete, target, ifMatch: await ExpectedVersion(api, target, parse.GetValue(ifMatch)));
            var d = body![noun]!;
            return (body, async () => $"{title} {d["id"]} cancelled (version {d["version"]})." + await ConflictsText(api, body["conflicts"] as JsonArray, " after the cancellation"));
        });

        var activate = new Command("activate", $"Make {r.Article} planned {noun} active (a new version with the same volumes)") { id, ifMatch }
            .WithExamples($"deconflict {r.Command} activate {r.IdPrefix}0193...");
        Act(activate, o, async (parse, api) =>
        {
            var target = Item(path, parse.GetValue(id)!);
            var (current, etag) = await api.Send(HttpMethod.Get, target);
            if (FileJson.Text(current!["state"]) == "active")
            {
                return (current, () => Task.FromResult($"{title} {current["id"]} is already active (version {current["version"]}); nothing changed."));
            }

            var sent = new JsonObject { ["volumes"] = current["volumes"]!.DeepClone(), ["priority"] = current["priority"]!.DeepClone(), ["state"] = "active" };
            foreach (var member in CarriedOnActivation)
            {
                if (current[member] is { } value)
                {
                    sent[member] = value.DeepClone();
                }
            }

            var version = parse.GetValue(ifMatch) is { } given ? VersionTag(given) : etag;
            var (body, _) = await api.Send(HttpMethod.Put, target, sent, ifMatch: version);
            var d = body![noun]!;
            return (body, async () => $"{title} {d["id"]} is active (version {d["version"]})." + await ConflictsText(api, body["conflicts"] as JsonArray));
        });

        return new Command(r.Command, r.Description) { submit, check, update, show, list, cancel, activate };
    }

    /// <summary>
    /// Sets the verb's action: usage mistakes found in it give exit code 2, refusals 1
    /// (<see cref="ClientOptions.Run"/>). The text for a person is made only without --json, since
    /// making it may ask the server for more (the names of a conflict's sides).
    /// </summary>
    private static void Act(Command verb, ClientOptions o, Func<ParseResult, ApiClient, Task<(JsonNode? Body, Func<Task<string>> Text)>> action) =>
        verb.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, text) = await action(parse, api);
            return (body, parse.GetValue(o.Json) ? string.Empty : await text());
        }));

    private static string Item(string path, string id) => $"{path}/{Uri.EscapeDataString(id)}";

    /// <summary>--if-match as given (checked), else the version the server has now (its ETag).</summary>
    private static async Task<string?> ExpectedVersion(ApiClient api, string target, string? given)
    {
        if (given is not null)
        {
            return VersionTag(given);
        }

        var (_, etag) = await api.Send(HttpMethod.Get, target);
        return etag;
    }

    private static string VersionTag(string given) =>
        long.TryParse(given.Trim().Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
            ? $"\"{v}\""
            : throw CliException.Usage($"--if-match needs a version number (1 or more), such as 3; '{given}' is not one.");

    private static string OneOf(string option, string value, string[] allowed) =>
        allowed.Contains(value, StringComparer.Ordinal)
            ? value
            : throw CliException.Usage($"{option} must be {string.Join(", ", allowed[..^1])} or {allowed[^1]}; '{value}' is not.");

    /// <summary>ID@VERSION, e.g. op-0193...@3, as the API's { "id", "version" }.</summary>
    private static JsonNode KnownRef(string text)
    {
        var at = text.LastIndexOf('@');
        return at > 0 && long.TryParse(text[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? new JsonObject { ["id"] = text[..at], ["version"] = version }
            : throw CliException.Usage($"--known must be ID@VERSION with a version of 1 or more, such as op-0193...@3; '{text}' is not.");
    }

    /// <summary>
    /// The file as an API body: an F3548 body as it is, or GeoJSON converted (GeoJsonInput). A
    /// zone's rule and name may be properties of the (first) feature, as priority and details are.
    /// A missing or unreadable file is a usage mistake (exit 2); a file the CLI cannot read as a
    /// body is refused (exit 1), as the server refuses a bad body.
    /// </summary>
    private static async Task<(JsonObject Body, JsonNode File)> ReadDeclarationFile(FileInfo? path, bool zone)
    {
        if (path is null || !path.Exists)
        {
            throw CliException.Usage($"No file {path?.FullName}: give the path of an F3548 body or a GeoJSON Feature.");
        }

        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"Cannot read {path.FullName}: {e.Message}");
        }

        var input = GeoJsonInput.Read(path.Name, bytes);
        var body = GeoJsonInput.ToOperationBody(input);
        if (zone && !ReferenceEquals(body, input))
        {
            var first = FileJson.Text(input["type"]) == "FeatureCollection" ? input["features"]?[0] : input;
            foreach (var member in ZoneProperties)
            {
                if (first?["properties"]?[member] is { } value)
                {
                    body[member] = value.DeepClone();
                }
            }
        }

        return (body, input);
    }

    /// <summary>
    /// Sends a body made from a file; a refusal's pointers into the converted body are replaced
    /// by the places in the user's file they came from (GeoJsonInput.InFile).
    /// </summary>
    private static async Task<T> InFile<T>(JsonNode file, Func<Task<T>> send)
    {
        try
        {
            return await send();
        }
        catch (CliException refused)
        {
            throw new CliException(GeoJsonInput.InFile(file, refused.Message));
        }
    }

    /// <summary>One row per operation or zone: what it is called, whose, when, how high and where.</summary>
    private static string DeclarationTable(JsonArray items, bool zone)
    {
        var columns = new List<TableColumn>
        {
            new("ID"),
            new("NAME", Rank: 1, MaxWidth: 24, MinWidth: 10),
            new("PARTY", Rank: 3, MaxWidth: 16, MinWidth: 6),
            new("STATE", Rank: 1),
        };
        if (zone)
        {
            columns.Add(new("RULE", Rank: 2));
        }

        columns.AddRange([new("PRIORITY", Rank: 5), new("WINDOW (UTC)", Rank: 2), new("ALTITUDES", Rank: 3), new("WHERE (LAT,LNG)", Rank: 4)]);
        var rows = items.Select(d =>
        {
            var volumes = d?["volumes"] as JsonArray;
            var cells = new List<string> { Cell(d?["id"]), TerminalText.Safe(DeclarationText.Name(d)), Cell(d?["party"]), Cell(d?["state"]) };
            if (zone)
            {
                cells.Add(Cell(d?["rule"]));
            }

            cells.AddRange([Cell(d?["priority"]), DeclarationText.WindowText(DeclarationText.Window(volumes)), DeclarationText.BandText(DeclarationText.Band(volumes)), DeclarationText.Where(volumes)]);
            return cells.ToArray();
        }).ToList();
        return TableFormat.Render(columns, rows);
    }

    /// <summary>An operation or zone in full, for `show`.</summary>
    private static string DeclarationDetail(string title, JsonNode d)
    {
        var volumes = d["volumes"] as JsonArray ?? [];
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{title} {Cell(d["id"])}").AppendLine();
        void Field(string label, string value) => text.Append(CultureInfo.InvariantCulture, $"  {label + ":",-11} {value}").AppendLine();

        if (DeclarationText.Name(d) is { } name)
        {
            Field("Name", TerminalText.Safe(name));
        }

        Field("Party", Cell(d["party"]));
        Field("Version", Cell(d["version"]));
        Field("State", Cell(d["state"]));
        if (d["rule"] is { } rule)
        {
            Field("Rule", Cell(rule));
        }

        Field("Priority", Cell(d["priority"]));
        Field("Window", DeclarationText.WindowText(DeclarationText.Window(volumes)) + " UTC");
        if (DeclarationText.Band(volumes) is { } band)
        {
            Field("Altitudes", $"{DeclarationText.Altitude(band.Lower)} to {DeclarationText.Altitude(band.Upper)}");
        }

        Field("Created", $"{DeclarationText.Clock(d["created_at"])}, updated {DeclarationText.Clock(d["updated_at"])}");
        Field("Volumes", volumes.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var (v, i) in volumes.Select((v, i) => (v, i)))
        {
            var one = new JsonArray(v?.DeepClone());
            text.Append(CultureInfo.InvariantCulture, $"    {i + 1}. {DeclarationText.Outline(v?["volume"])}; {DeclarationText.BandText(DeclarationText.Band(one))}; {DeclarationText.WindowText(DeclarationText.Window(one))}").AppendLine();
        }

        if (d["details"] is { } details)
        {
            Field("Details", TerminalText.Safe(details.ToJsonString()));
        }

        return text.ToString().TrimEnd();
    }

    private static string Cell(JsonNode? node) => TerminalText.Safe(node?.ToString());

    /// <summary>What differs between `op` and `zone`.</summary>
    private sealed record DeclarationResource(string Command, string Noun, string Title, string Article, string Path, string IdPrefix, bool IsZone, string Description, string ExampleFile, string ExampleOptions);
}
