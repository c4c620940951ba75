import { defineConfig } from 'vite';

// The console is served by the Deconflict server itself at /, from the files built here into dist/
// (embedded in the server's assembly by src/Deconflict/Deconflict.csproj). Everything it needs is
// bundled: no CDN, no web fonts, no tile server (the basemap is world-atlas, bundled as JSON).
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
});
