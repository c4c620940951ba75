using Deconflict.Fuzz;
using SharpFuzz;

// Usage: Deconflict.Fuzz TARGET          run under afl-fuzz (input on standard input; once without afl-fuzz)
//        Deconflict.Fuzz TARGET FILE...  run each file once and print any unexpected exception (replay a crash)
if (args.Length == 0 || FuzzTargets.Find(args[0]) is not { } target)
{
    Console.Error.WriteLine("Usage: Deconflict.Fuzz TARGET [FILE...]. Targets:");
    foreach (var t in FuzzTargets.All)
    {
        Console.Error.WriteLine($"  {t.Name,-14} {t.Covers}");
    }

    return 2;
}

if (args.Length > 1)
{
    // Instrumented assemblies write their branch counts to SharpFuzz's trace map, which only
    // afl-fuzz (or Fuzzer.Run) sets up: give them a map of their own (64 KiB, AFL's size).
    unsafe
    {
        SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
    }

    var failed = 0;
    foreach (var file in args.Skip(1))
    {
        try
        {
            target.Run(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            failed++;
            Console.Error.WriteLine($"{file}: {e}");
        }
    }

    Console.WriteLine($"{target.Name}: {args.Length - 1 - failed} of {args.Length - 1} inputs ran without an unexpected exception.");
    return failed == 0 ? 0 : 1;
}

// Out of process: afl-fuzz talks to a parent that restarts the harness process when an input
// kills it (a timeout, a stack overflow), so one such input does not end the whole run.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    target.Run(memory.ToArray());
});
return 0;
