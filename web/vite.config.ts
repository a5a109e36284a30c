import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [react()],
  // TypeScript sources first: a stray compiled .js beside a .tsx must never shadow it.
  resolve: { extensions: ['.tsx', '.ts', '.mjs', '.js', '.jsx', '.json'] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
