// MathJax settings. MathJax itself is loaded by the browser when a page is viewed; building the
// site needs no network. Math is typeset only inside
// - `arithmatex` elements: pymdownx.arithmatex (generic mode) wraps the $...$ of the markdown
//   pages and docstrings in them, as \( \) and \[ \];
// - `jp-RenderedMarkdown` elements: the markdown cells of the notebook pages, whose math is
//   Jupyter's $...$ and $$...$$ (their code and outputs are left alone).
// Everything a page shows lies in `md-header` or `md-container`, so ignoring those two ignores all
// the rest. (The usual ".*|" would also ignore every element *inside* a markdown cell, whose
// paragraphs have no class: MathJax ignores a descendant whose class matches, "" included.)
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: "md-header|md-container",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown",
  },
};

document$.subscribe(() => {
  if (window.MathJax && window.MathJax.typesetPromise) {
    MathJax.startup.output.clearCache();
    MathJax.typesetClear();
    MathJax.texReset();
    MathJax.typesetPromise();
  }
});
