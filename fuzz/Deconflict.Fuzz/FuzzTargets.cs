namespace Deconflict.Fuzz;

/// <summary>Every harness, by name.</summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        new("volume4d", "volume4d", "an operation body as the API reads it: System.Text.Json with the API's options, then DeclarationDraft.Parse, VolumeParser (F3548 Volume4D) and OutlineFactory; an accepted volume must parse again from its own F3548 form", Volume4DHarness.Run),
        new("geojson", "geojson", "a file given to `op submit`: JsonNode.Parse, GeoJsonInput.ToOperationBody, then the server's parse of the body it makes", GeoJsonHarness.Run),
        new("sbs1", "sbs1", "BaseStation (SBS-1) lines: Sbs1.TryParse (bytes and text), SbsFeed and SbsMerger, and the server's check of every report", Sbs1Harness.Run),
        new("cot", "cot", "Cursor on Target XML: CursorOnTarget.Parse as POST /v1/tracks (text/xml) calls it, CotStreamSplitter as `feed cot` uses it, and the server's check of every report", CotHarness.Run),
        new("signed-note", "signed-note", "a verifier key (first line) and a signed checkpoint (the rest): SignedNote.ParseVerifierKey, SignedNote.Parse and the head checks of `record verify`", SignedNoteHarness.Run),
        new("record-entry", "record-entry", "the bytes of one record entry: RecordEntry.Parse (canonical JSON, RFC 8785) and the leaf hash", RecordEntryHarness.Run),
        new("record-export", "record-export", "a file given to `record verify --export`: RecordSources.FromExport and every check of RecordVerifier", RecordExportHarness.Run),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
