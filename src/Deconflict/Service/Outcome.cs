namespace Deconflict.Service;

/// <summary>Either a value or a refusal. A refused write changes nothing.</summary>
public readonly record struct Outcome<T>(T? Value, Refusal? Error)
{
    public bool Ok => Error is null;

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(Refusal error) => new(default, error);
}
