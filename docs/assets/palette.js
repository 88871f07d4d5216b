// The palette toggle. Material's own palette script, on every load, marks the body as switching
// (a rule that reaches every element), reads the header's computed colour, then unmarks it: two
// restyles of the whole page, the costliest work of a long page's load on a phone (make audit).
// This one changes the body only when the reader's palette is not the one it shows, and marks the
// switch only when the reader switches. The markup and the stored choice are Material's: its
// inline script applies the stored "__palette" before the page paints.
(() => {
  const form = document.querySelector("[data-jf-palette]");
  if (!form) return;
  const inputs = Array.from(form.querySelectorAll("input[name=__palette]"));
  const body = document.body;
  let current = 0;

  const colorOf = (input) => ({
    media: input.dataset.mdColorMedia,
    scheme: input.dataset.mdColorScheme,
    primary: input.dataset.mdColorPrimary,
    accent: input.dataset.mdColorAccent,
  });

  function show(index) {
    current = index;
    const color = colorOf(inputs[index]);
    for (const [key, value] of Object.entries(color)) {
      if (body.getAttribute(`data-md-color-${key}`) !== value) {
        body.setAttribute(`data-md-color-${key}`, value);
      }
    }
    inputs.forEach((input, i) => {
      const label = input.nextElementSibling;
      if (label instanceof HTMLLabelElement && label.hidden !== (i !== index)) {
        label.hidden = i !== index;
      }
    });
    __md_set("__palette", { index, color });
  }

  function switchTo(index) {
    body.setAttribute("data-md-color-switching", "");  // no colour transitions while switching
    show(index);
    requestAnimationFrame(() => requestAnimationFrame(() => {
      body.removeAttribute("data-md-color-switching");
    }));
  }

  const stored = __md_get("__palette");
  const preferred = inputs.findIndex((input) => matchMedia(input.dataset.mdColorMedia).matches);
  const start = stored ? stored.index : preferred;
  show(Math.max(0, Math.min(Number.isInteger(start) ? start : 0, inputs.length - 1)));

  form.addEventListener("change", (event) => switchTo(inputs.indexOf(event.target)));
  form.addEventListener("keydown", (event) => {  // Enter on the focused option: the next palette
    if (event.key !== "Enter") return;
    event.preventDefault();
    const next = inputs[(current + 1) % inputs.length];
    next.click();
    next.focus();
  });
})();
