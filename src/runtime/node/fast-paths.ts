import { useCompressor } from '../../status/compression.ts';
import { useSha256 } from '../../util/sha256.ts';
import { nodeSha256 } from './sha256.ts';
import { installUint8ArrayToBase64 } from './uint8array-to-base64.ts';
import { nodeCompressor } from './zlib-compression.ts';

/**
 * Node's faster implementations of what the core reaches through web-standard APIs, installed
 * once per process before anything signs or compresses (the service; benches that call the core
 * directly install them too, to measure what the service runs). Each changes speed, never bytes.
 */
export function useNodeFastPaths(): void {
  useCompressor(nodeCompressor);
  useSha256(nodeSha256);
  installUint8ArrayToBase64();
}
