// Types for the ES build of wgsl_reflect, imported by path (see reflect.ts).
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
