using System.Collections.Concurrent;

namespace Deconflict.Service;

/// <summary>
/// Conditions that do not stop the service but that its operators must see on /healthz (a lost
/// database listener, a lease connection reconnecting): each part of the service raises its own
/// under its own name, and clears it when the condition ends.
/// </summary>
public sealed class HealthWarnings
{
    private readonly ConcurrentDictionary<string, string> _current = new(StringComparer.Ordinal);

    /// <summary>Sets (or replaces) the warning of <paramref name="source"/>.</summary>
    public void Raise(string source, string text) => _current[source] = text;

    public void Clear(string source) => _current.TryRemove(source, out _);

    /// <summary>The warnings in force, in the order of their sources' names (stable from one call to the next).</summary>
    public IReadOnlyList<string> Current => [.. _current.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => w.Value)];
}
