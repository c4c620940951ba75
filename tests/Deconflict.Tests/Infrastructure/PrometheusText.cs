using System.Globalization;
using System.Text;

namespace Deconflict.Tests.Infrastructure;

/// <summary>One sample of a scrape: metric name, labels, value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// Reads the Prometheus text exposition format (version 0.0.4): every sample line, with its labels
/// unescaped; comments (# HELP, # TYPE) are kept apart so a test can check a metric's type.
/// </summary>
public sealed class PrometheusText
{
    private PrometheusText(string text, List<PrometheusSample> samples, Dictionary<string, string> types)
    {
        Text = text;
        Samples = samples;
        Types = types;
    }

    public string Text { get; }

    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>The # TYPE of each metric family (counter, gauge, histogram...).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public static PrometheusText Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line["# TYPE ".Length..].Split(' ');
                types[parts[0]] = parts[1];
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            samples.Add(ParseSample(line));
        }

        return new PrometheusText(text, samples, types);
    }

    /// <summary>The samples named <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    public IEnumerable<PrometheusSample> Find(string name, params (string Label, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value));

    /// <summary>The value of the one sample that matches; fails (with the scrape) if none or several do.</summary>
    public double Value(string name, params (string Label, string Value)[] labels)
    {
        var found = Find(name, labels).ToList();
        Assert.True(found.Count == 1, $"expected one sample {name}{{{string.Join(',', labels.Select(l => $"{l.Label}=\"{l.Value}\""))}}}, found {found.Count} in:\n{Text}");
        return found[0].Value;
    }

    private static PrometheusSample ParseSample(string line)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ')
        {
            i++;
        }

        var name = line[..i];
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var label = line[i..eq];
                i = eq + 2; // past ="
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] == 'n' ? '\n' : line[i]);
                    }
                    else
                    {
                        value.Append(line[i]);
                    }

                    i++;
                }

                labels[label] = value.ToString();
                i++; // past the closing quote
                if (line[i] == ',')
                {
                    i++;
                }
            }

            i++; // past }
        }

        var rest = line[i..].Trim().Split(' ');
        var number = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new PrometheusSample(name, labels, number);
    }
}
