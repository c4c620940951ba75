using Deconflict.Cli;

return await CliApp.RunAsync(args);
