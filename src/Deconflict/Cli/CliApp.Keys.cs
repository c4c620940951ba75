using System.CommandLine;
using Deconflict.Line;
using Deconflict.Record;

namespace Deconflict.Cli;

/// <summary>`deconflict keys create DIR`: the service's keys, made once for every node of a cluster.</summary>
public static partial class CliApp
{
    private static Command KeysCommands()
    {
        var directory = new Argument<string>("DIR") { Description = "The directory to create the keys in (made if missing; must not hold keys already)" };
        var create = new Command("create", "Create the service's record and webhook signing keys (record.key, webhook.key, readable by this user only); give every node a copy with --keys DIR") { directory };
        create.WithExamples("deconflict keys create /etc/deconflict/keys");
        create.SetAction(parse =>
        {
            var path = Path.GetFullPath(parse.GetValue(directory)!);
            if (File.Exists(path))
            {
                Console.Error.WriteLine($"{path} is a file; give a directory for the keys.");
                return 1;
            }

            if (new[] { RecordKey.FileName, WebhookKey.FileName }.Select(f => Path.Combine(path, f)).FirstOrDefault(f => File.Exists(f) || Directory.Exists(f)) is { } existing)
            {
                Console.Error.WriteLine($"{existing} exists: keys are never replaced (a new record key is a new log identity); give an empty directory.");
                return 1;
            }

            try
            {
                var (record, webhook) = ServiceKeys.Create(path);
                using (record)
                using (webhook)
                {
                    Console.WriteLine($"Created {RecordKey.FileName} (log {record.Origin}) and {WebhookKey.FileName} in {path}; start every node with --keys and a copy of this directory.");
                }

                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"Cannot create the keys in {path}: {CliUsage.Plain(e.Message.ReplaceLineEndings(" ").TrimEnd('.'))}.");
                return 1;
            }
        });
        return new Command("keys", "The service's signing keys, shared by the nodes of a cluster") { create };
    }
}
