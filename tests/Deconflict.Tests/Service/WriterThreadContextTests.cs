using Deconflict.Service;

namespace Deconflict.Tests.Service;

/// <summary>
/// The writer's pump: a batch that awaits something completed elsewhere (as a PostgreSQL batch
/// awaits the server) goes on on the writer's own thread, in order, and its failure reaches the
/// writer; one that never waits runs straight through without posting anything.
/// </summary>
public sealed class WriterThreadContextTests
{
    [Fact]
    public void A_batch_that_awaits_another_thread_continues_on_the_writers_thread()
    {
        var threads = new List<int>();
        var writer = 0;
        RunOnOwnThread(pump =>
        {
            writer = Environment.CurrentManagedThreadId;
            pump.Run(Batch());
        });

        // Each continuation came back to the writer, though every Task.Run completed on a pool thread.
        Assert.Equal(4, threads.Count);
        Assert.All(threads, t => Assert.Equal(writer, t));

        async ValueTask Batch()
        {
            threads.Add(Environment.CurrentManagedThreadId);
            for (var i = 0; i < 3; i++)
            {
                await Task.Run(() => Thread.Sleep(5));
                threads.Add(Environment.CurrentManagedThreadId);
            }
        }
    }

    [Fact]
    public void A_batch_that_fails_after_an_await_throws_its_exception_on_the_writers_thread()
    {
        Exception? caught = null;
        RunOnOwnThread(pump =>
        {
            try
            {
                pump.Run(Failing());
            }
            catch (InvalidOperationException e)
            {
                caught = e;
            }
        });

        Assert.Equal("the server went away", caught?.Message);

        static async ValueTask Failing()
        {
            await Task.Delay(5);
            throw new InvalidOperationException("the server went away");
        }
    }

    [Fact]
    public void A_batch_that_never_waits_runs_through_and_the_pump_serves_the_next()
    {
        var ran = new List<string>();
        RunOnOwnThread(pump =>
        {
            pump.Run(Straight("first"));
            pump.Run(Waiting("second"));
            pump.Run(Straight("third"));
        });

        Assert.Equal(["first", "second", "third"], ran);

        ValueTask Straight(string name)
        {
            ran.Add(name);
            return ValueTask.CompletedTask;
        }

        async ValueTask Waiting(string name)
        {
            await Task.Yield();
            ran.Add(name);
        }
    }

    /// <summary>Runs <paramref name="body"/> on a thread of its own with the pump as its context, as the writer does.</summary>
    private static void RunOnOwnThread(Action<WriterThreadContext> body)
    {
        Exception? failed = null;
        var thread = new Thread(() =>
        {
            using var pump = new WriterThreadContext();
            SynchronizationContext.SetSynchronizationContext(pump);
            try
            {
                body(pump);
            }
            catch (Exception e)
            {
                failed = e;
            }
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "the writer's thread did not finish");
        Assert.Null(failed);
    }
}
