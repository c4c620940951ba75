using Deconflict.Core.Model;

namespace Deconflict.Core.Tests.Model;

public sealed class ControlTextTests
{
    [Theory]
    [InlineData("Coalition CAOC", false, -1)]
    [InlineData("Tanker\u001b[2J", false, 6)]
    [InlineData("\u0000", false, 0)]
    [InlineData("del\u007f", false, 3)]
    [InlineData("csi\u009b", false, 3)]
    [InlineData("nbsp\u00a0ok", false, -1)]
    [InlineData("cost \u202e0001", false, 5)]
    [InlineData("\u202aembedded", false, 0)]
    [InlineData("isolate\u2069", false, 7)]
    [InlineData("\u2065 and \u206a are not bidi controls", false, -1)]
    [InlineData("a\tb\nc", false, 1)]
    [InlineData("a\tb\nc", true, -1)]
    [InlineData("a\r\nb", true, 1)]
    [InlineData("Привет, ‏مرحبا", false, -1)]
    public void Finds_the_first_control_character_or_bidi_override(string text, bool multiline, int expected) =>
        Assert.Equal(expected, ControlText.IndexOfUnsafe(text, multiline));
}
