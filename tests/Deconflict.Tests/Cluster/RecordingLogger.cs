using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Deconflict.Tests.Cluster;

/// <summary>Keeps what a node logs, with the time since it was made, for the message of a failed assertion.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public string Text => string.Join(Environment.NewLine, _lines);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue($"{_clock.ElapsedMilliseconds,6} ms {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " / " + exception.GetType().Name + ": " + exception.Message)}");
}
