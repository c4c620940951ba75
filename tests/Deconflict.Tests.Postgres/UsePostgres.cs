using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests;

/// <summary>Puts every server of this assembly's tests on PostgreSQL, before the first test runs.</summary>
internal static class UsePostgres
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "A test assembly: the switch must be set before any test starts a server, and xunit has no assembly fixture.")]
    internal static void Initialize() => TestServer.UsePostgres = true;
}
