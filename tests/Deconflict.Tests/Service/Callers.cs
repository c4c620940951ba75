using Deconflict.Core.Model;

namespace Deconflict.Tests.Service;

/// <summary>The callers the command tests act as: parties blue, red and green, an observer and the admin.</summary>
public static class Callers
{
    public static readonly Caller Blue = new("blue", PartyRole.Party, "tok-blue");
    public static readonly Caller Red = new("red", PartyRole.Party, "tok-red");
    public static readonly Caller Green = new("green", PartyRole.Party, "tok-green");
    public static readonly Caller Observer = new("watch", PartyRole.Observer, "tok-watch");
    public static readonly Caller Admin = new(null, null, "tok-admin");
}
