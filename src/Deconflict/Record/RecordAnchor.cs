using System.Globalization;
using Deconflict.Core.Record;

namespace Deconflict.Record;

/// <summary>
/// The record's trust anchor outside the database: the newest head the service signed (size, root,
/// time, signature) and the size up to which the service last checked the record itself, kept in
/// <c>&lt;database&gt;.record-head</c>. A database whose log is shorter than this head, or whose
/// tree gives another root at its size, was cut or rewritten (docs/record.md, "Served state").
/// Written atomically (a new file renamed over the old) after each head commits, so it is never
/// ahead of the database.
/// </summary>
/// <remarks>
/// In a cluster (PostgreSQL) there is no database file to keep it beside: it is <c>record-head</c>
/// in the keys directory, and it is the anchor of the node or nodes that read that directory, not
/// of the cluster. The nodes on one machine share one file; each writes it under a temporary name
/// of its own and renames it into place, so any of them may win a race, and what is kept is always
/// a head the service signed (which the database must still hold), perhaps not the newest. Only the
/// node signing heads moves it, and a node's start check holds the database to the head it last
/// saw there; a copy on each machine is as good, since a head kept anywhere must stay in the log.
/// </remarks>
public sealed class RecordAnchor
{
    private readonly object _gate = new();
    private readonly string _path;

    private RecordAnchor(string path, RecordHead? head, long verified)
    {
        _path = path;
        Head = head;
        Verified = verified;
    }

    /// <summary>The newest head kept here, or null before the first.</summary>
    public RecordHead? Head { get; private set; }

    /// <summary>The record size up to which the service checked the record at its last start.</summary>
    public long Verified { get; private set; }

    public string Path => _path;

    public bool Exists => File.Exists(_path);

    /// <summary>The anchor's file in a keys directory (a cluster's nodes).</summary>
    public const string FileName = "record-head";

    /// <summary>Where the anchor of the database at <paramref name="databasePath"/> is kept.</summary>
    public static string PathFor(string databasePath) => System.IO.Path.GetFullPath(databasePath) + ".record-head";

    /// <summary>Reads the anchor kept for the database; an empty one when there is no file.</summary>
    /// <exception cref="InvalidDataException">The file is not an anchor.</exception>
    public static RecordAnchor Load(string databasePath) => LoadFile(PathFor(databasePath));

    /// <summary>Reads the anchor kept at <paramref name="path"/>; an empty one when there is no file.</summary>
    /// <exception cref="InvalidDataException">The file is not an anchor.</exception>
    public static RecordAnchor LoadFile(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            return new RecordAnchor(path, null, 0);
        }

        var fields = File.ReadAllLines(path)
            .Select(l => l.Split(' ', 2))
            .Where(f => f.Length == 2)
            .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        try
        {
            var verified = long.Parse(fields["verified"], CultureInfo.InvariantCulture);
            RecordHead? head = null;
            if (fields.TryGetValue("size", out var size))
            {
                head = new RecordHead(
                    long.Parse(size, CultureInfo.InvariantCulture),
                    Convert.FromBase64String(fields["root"]),
                    DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fields["time"], CultureInfo.InvariantCulture)),
                    Convert.FromBase64String(fields["signature"]));
            }

            return new RecordAnchor(path, head, verified);
        }
        catch (Exception e) when (e is KeyNotFoundException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"The record head file {path} is damaged: it needs 'verified', 'size', 'root', 'time' and 'signature' lines.");
        }
    }

    /// <summary>Keeps a newly signed head (never a smaller one than kept).</summary>
    public void Signed(RecordHead head)
    {
        lock (_gate)
        {
            if (Head is null || head.Size >= Head.Size)
            {
                Head = head;
                Write();
            }
        }
    }

    /// <summary>Keeps the size up to which the record was just checked, and the head it was checked against.</summary>
    public void Checked(long size, RecordHead? head)
    {
        lock (_gate)
        {
            Verified = size;
            if (head is not null && (Head is null || head.Size >= Head.Size))
            {
                Head = head;
            }

            Write();
        }
    }

    private void Write()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"verified {Verified}\n");
        if (Head is { } h)
        {
            text += string.Create(CultureInfo.InvariantCulture,
                $"size {h.Size}\nroot {Convert.ToBase64String(h.RootHash)}\ntime {h.Time.ToUnixTimeMilliseconds()}\nsignature {Convert.ToBase64String(h.Signature)}\n");
        }

        // A name of this process's own: nodes sharing the file never write one temporary file.
        var temporary = string.Create(CultureInfo.InvariantCulture, $"{_path}.{Environment.ProcessId}.tmp");
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
    }
}
