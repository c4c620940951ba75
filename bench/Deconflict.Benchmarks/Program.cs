using BenchmarkDotNet.Running;
using Deconflict.Benchmarks.Load;

namespace Deconflict.Benchmarks;

public static class Program
{
    /// <summary>
    /// `load ...` runs the HTTP load test against real server processes (SQLite, or PostgreSQL with
    /// one or more nodes); `event-load ...` times events from the writer's commit to another node's
    /// stream; `failover ...` times the lease's move after a SIGKILL; `fairness ...` times one
    /// party's submissions alone and while another floods every node; `seed-template ...` seeds a
    /// PostgreSQL database for the others' `--template`; `line-load ...` measures the deconfliction line; `track-load ...` drives POST /v1/tracks
    /// and times alerts; `sbs-load ...` drives the SBS-1
    /// relay at a server (or a sink); `console ...` measures the console in headless chromium; `outline-probe ...` times the outline work for one large polygon; `record-verify ...` times
    /// `deconflict record verify` against a real server with a seeded record; `record-start ...` times
    /// the record check at start on a seeded record; anything else goes to
    /// BenchmarkDotNet (e.g. `--filter *ConflictCheck*`).
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "load")
        {
            return await SubmissionLoad.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "event-load")
        {
            return await EventLatencyLoad.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "seed-template")
        {
            return await BenchStore.SeedTemplateAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "failover")
        {
            return await FailoverLoad.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "fairness")
        {
            return await FairnessLoad.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "line-load")
        {
            return await LineLoad.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "track-load")
        {
            return await TrackLoad.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "sbs-load")
        {
            return await SbsRelayLoad.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "record-start")
        {
            return await Record.RecordStartLoad.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "record-verify")
        {
            return await Record.RecordVerifyLoad.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "console")
        {
            return await ConsoleLoad.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "outline-probe")
        {
            return Strategic.OutlineProbe.Run(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
