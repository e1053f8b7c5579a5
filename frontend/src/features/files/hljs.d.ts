// highlight.js types its main entry and its languages, not the core-only entry.
declare module "highlight.js/lib/core" {
  import hljs from "highlight.js";
  export default hljs;
}
