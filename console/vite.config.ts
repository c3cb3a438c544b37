import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by the backend at /console; every asset is a file of its own (the page's CSP allows no inline code).
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
