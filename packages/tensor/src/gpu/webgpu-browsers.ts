/**
 * Where a page gets WebGPU (late 2025): the browsers that ship it and the flags that turn it on
 * elsewhere. The page's "no adapter" message (platform-browser.ts) is made of these lines, and a
 * page may show them as a list.
 */
export const WEBGPU_BROWSERS: readonly string[] = [
  'Chrome or Edge 113+ on Windows, macOS and ChromeOS; Chrome 121+ on Android 12+',
  'Linux: Chrome or Chromium with chrome://flags/#enable-unsafe-webgpu and #enable-vulkan (the flags --enable-unsafe-webgpu --enable-features=Vulkan); without a GPU, --enable-unsafe-webgpu alone runs it on SwiftShader (the CPU)',
  'Firefox 141+ on Windows; elsewhere dom.webgpu.enabled in about:config',
  'Safari 26 (macOS, iOS, iPadOS)',
  'and in any of them, a secure context: the page over https:// or from localhost',
];
