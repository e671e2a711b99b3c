// Typeset the maths of every page with the KaTeX copy the site serves itself (no CDN).
//
// pymdownx.arithmatex (generic mode) leaves each formula in an element of class "arithmatex",
// wrapped in \( \) (inline) or \[ \] (display). Notebook pages rendered by mkdocs-jupyter keep
// $...$ and $$...$$ in their Markdown cells; KaTeX's auto-render extension handles those.
// document$ is Material's observable: it fires on the first load and after each instant
// navigation, so the maths is typeset on every page the reader reaches.
document$.subscribe(({ body }) => {
  for (const element of body.querySelectorAll(".arithmatex")) {
    const source = element.textContent.trim();
    const display = source.startsWith("\\[");
    const tex = source.replace(/^\\[([]/, "").replace(/\\[)\]]$/, "");
    katex.render(tex, element, { displayMode: display, throwOnError: false });
  }
  for (const cell of body.querySelectorAll(".jupyter-wrapper .jp-RenderedMarkdown")) {
    renderMathInElement(cell, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "$", right: "$", display: false },
      ],
      throwOnError: false,
    });
  }
});
