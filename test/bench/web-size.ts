import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export interface WebAsset {
  file: string;
  kind: 'js' | 'css';
  bytes: number;
  gzipBytes: number;
}

/**
 * What a client's browser downloads to show the booking page: the scripts and stylesheets that
 * web/dist/index.html loads or preloads (the practitioner's pages are a chunk loaded later, not
 * counted), each gzipped at level 9.
 */
export function bookingPageAssets(distDir = 'web/dist'): WebAsset[] {
  const html = fs.readFileSync(path.join(distDir, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*\bhref)="([^"]+\.(js|css))"/g)].map((m) => ({ url: m[1]!, kind: m[2] as 'js' | 'css' }));
  return [...new Map(refs.map((r) => [r.url, r])).values()].map(({ url, kind }) => {
    const content = fs.readFileSync(path.join(distDir, url.replace(/^\//, '')));
    return { file: url, kind, bytes: content.length, gzipBytes: zlib.gzipSync(content, { level: 9 }).length };
  });
}
