namespace Deconflict.Storage.Sqlite;

/// <summary>
/// The background checkpointer's request that the writer let the WAL start again from its
/// beginning.
/// </summary>
/// <remarks>
/// SQLite restarts the WAL only when a writer begins a transaction with every frame already copied
/// into the database. Under steady load the background checkpoints never quite catch up (the
/// writer has always committed again since), so the WAL grew without end: 65 MB a second, 1.4 GB
/// after 20 s at 1,000 submissions a second. SQLite's automatic checkpoint on the writer bounds
/// it, but at 64 MB it left the writer up to 200 ms of frames to copy, a 25 to 50 ms stall every
/// second (measured under that load). Instead, once the WAL holds <see cref="DefaultFrames"/>, the
/// checkpointer copies nearly all of it and asks; the writer copies the rest, a few batches'
/// worth, before its next transaction (<see cref="SqliteWriteSession.BeginAsync"/>).
/// </remarks>
internal sealed class WalRestart
{
    /// <summary>
    /// WAL frames (4 KB pages) at which the checkpointer asks: 1 GB, every 16 s at 1,000
    /// submissions a second. The writer's part costs it 3 to 85 ms (mostly the database file's
    /// fsync), so the WAL is let grow large to make that rare.
    /// </summary>
    public const long DefaultFrames = 262_144;

    private int _asked;

    public void Ask() => Volatile.Write(ref _asked, 1);

    /// <summary>True once per request.</summary>
    public bool Take() => Interlocked.Exchange(ref _asked, 0) == 1;
}
