import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The app loads the built files from disk (tauri://localhost); no dev server is involved.
export default defineConfig({
  plugins: [svelte()],
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: "safari15", sourcemap: false },
  // Vitest mounts the components in jsdom: Svelte's browser build, and the few APIs jsdom lacks.
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: { setupFiles: ['src/test/setup.ts'] },
});
