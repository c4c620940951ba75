using System.Net.Http.Headers;

namespace Deconflict.Tests.Infrastructure;

/// <summary>The HTTP clients a test makes of one server's address, each with its bearer token, disposed together; safe from any thread.</summary>
public sealed class ApiClients(Uri baseAddress) : IDisposable
{
    private readonly List<HttpClient> _clients = [];

    /// <summary>A client of the address with this bearer token (none: anonymous).</summary>
    public HttpClient Create(string? token)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    public void Dispose()
    {
        lock (_clients)
        {
            foreach (var c in _clients)
            {
                c.Dispose();
            }

            _clients.Clear();
        }
    }
}
