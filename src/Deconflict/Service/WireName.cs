using System.Text.Json;

namespace Deconflict.Service;

/// <summary>
/// An enum value's name as the API, the store and the record write it (kebab-case, as the API's JSON
/// converter writes enums), for the texts and queries that name a value outside JSON.
/// </summary>
public static class WireName
{
    public static string Of<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    /// <summary>The enum value whose wire name is <paramref name="name"/>.</summary>
    public static bool TryParse<T>(string name, out T value)
        where T : struct, Enum
    {
        foreach (var v in Enum.GetValues<T>())
        {
            if (Of(v) == name)
            {
                value = v;
                return true;
            }
        }

        value = default;
        return false;
    }
}
