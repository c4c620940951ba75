namespace Deconflict.Fuzz;

/// <summary>
/// One harness: a parser that takes outside input, fed the fuzzer's bytes. A harness returns
/// normally when the parser accepts the input or refuses it the documented way (its result type,
/// or the exception types its callers turn into a 400 problem or one plain CLI line); any other
/// exception escapes and afl-fuzz records the input as a crash.
/// </summary>
/// <param name="Name">The name given to fuzz/run.sh and to this program.</param>
/// <param name="Corpus">The seed corpus folder under fuzz/corpus.</param>
/// <param name="Covers">What the harness reaches, for the usage text and fuzz/README.md.</param>
/// <param name="Run">The harness.</param>
public sealed record FuzzTarget(string Name, string Corpus, string Covers, Action<byte[]> Run);
