"""An XSS corpus, and what the browser is asked after each page: did anything run, did any markup get in.

Every payload that runs calls ``xss(n)`` (or ``alert(n)``), its own number ``n``: the test's
binding records the call, so a failure names the payload. Plain payloads go where text is shown
as it was typed (titles, names, group names, queries, flashes, form fields); Markdown payloads go
into bodies, where the reader sees the rendered text (``shown``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Payload:
    n: int
    text: str
    #: The text a reader sees, when Markdown changes it (entities decoded, a stripped link's words).
    shown: str | None = None

    @property
    def visible(self) -> str:
        return self.text if self.shown is None else self.shown


#: Shown as typed. At most 120 characters: a group name's limit.
PLAIN = [
    Payload(1, "<script>xss(1)</script>"),
    Payload(2, "<img src=x onerror=xss(2)>"),
    Payload(3, "<svg onload=xss(3)>"),
    Payload(4, '"><img src=x onerror=xss(4)>'),
    Payload(5, "'><svg/onload=xss(5)>"),
    Payload(6, "</textarea><img src=x onerror=xss(6)>"),
    Payload(7, "</title><script>xss(7)</script>"),
    Payload(8, '<iframe srcdoc="<script>parent.xss(8)</script>"></iframe>'),
    Payload(9, '<a href="javascript:xss(9)">link9</a>'),
    Payload(10, "{{7*7}} ${7*7} {% raw %}#{7*7} <%= 7*7 %>"),
    Payload(11, '<div style="background:url(javascript:xss(11));width:expression(xss(11))">s11</div>'),
    Payload(12, '<object data="data:text/html,<script>parent.xss(12)</script>"></object>'),
    Payload(13, "<details open ontoggle=xss(13)>d13</details>"),
    Payload(14, "<input autofocus onfocus=xss(14)>"),
    # Full-width brackets: NFKC makes them "<" and ">"; the text must stay as typed.
    Payload(15, "\uff1cimg src=x onerror=xss(15)\uff1e \uff1cscript\uff1exss(15)\uff1c/script\uff1e"),
    Payload(16, "&lt;img src=x onerror=xss(16)&gt; &#60;script&#62;xss(16)&#60;/script&#62;"),
    Payload(17, "<math><mtext><table><mglyph><style><img src=x onerror=xss(17)>"),
    Payload(18, '<noscript><p title="</noscript><img src=x onerror=xss(18)>">'),
    Payload(19, '<meta http-equiv="refresh" content="0;url=javascript:xss(19)">'),
    Payload(20, '<base href="javascript:xss(20)//"><a href="/x">b20</a>'),
    Payload(21, "<form><button formaction=javascript:xss(21)>f21</button></form>"),
    Payload(22, "<scr<script>ipt>xss(22)</scr</script>ipt>"),
    Payload(23, '\\";xss(23);//\\u003cimg src=x onerror=xss(23)\\u003e'),
    Payload(24, "<IMG SRC=JaVaScRiPt:xss(24) onerror&#x3D;xss(24)>"),
    # Department names (with capitals: an all-lower-case name is shown title-cased).
    Payload(25, 'Sales"><SCRIPT>xss(25)</SCRIPT>'),
    Payload(26, "R&D'><Img Src=x OnError=xss(26)>"),
]

#: Markdown bodies (comments, posts, descriptions, responses, adoption notes, the digest's introduction).
MARKDOWN = [
    Payload(101, "[click101](javascript:xss(101))"),
    Payload(102, "[click102](JaVaScRiPt:xss(102))"),
    Payload(103, "[click103](&#106;avascript:xss(103))", "[click103](javascript:xss(103))"),
    Payload(104, "[click104](javascript&colon;xss(104))", "[click104](javascript:xss(104))"),
    Payload(105, "<javascript:xss(105)>"),
    Payload(106, '![pic106](x" onerror="xss(106))'),
    Payload(107, "[click107](data:text/html;base64,PHNjcmlwdD5wYXJlbnQueHNzKDEwNyk8L3NjcmlwdD4=)"),
    Payload(108, "[ref108][r]\n\n[r]: javascript:xss(108)", "[r]: javascript:xss(108)"),
    Payload(109, '<div onmouseover="xss(109)">hover109</div>'),
    Payload(110, "<script>xss(110)</script>"),
    Payload(111, '[click111](https://e.example "t\\" onmouseover=\\"xss(111)")', "click111"),
    Payload(112, '[click112](https://e.example/"onmouseover="xss(112))', "click112"),
    Payload(113, "`<img src=x onerror=xss(113)>`", "<img src=x onerror=xss(113)>"),
    Payload(114, "| <img src=x onerror=xss(114)> |\n|---|\n| cell114 |", "<img src=x onerror=xss(114)>"),
    Payload(115, '<a href="javascript:xss(115)">a115</a>'),
    Payload(116, "[click116](<javascript:xss(116)>)"),
    Payload(117, "[click117](vbscript:xss(117))"),
    Payload(118, '<https://e.example/"><img src=x onerror=xss(118)>>', "<img src=x onerror=xss(118)>>"),
    Payload(119, "**<img src=x onerror=xss(119)>**", "<img src=x onerror=xss(119)>"),
    Payload(120, "<details open ontoggle=xss(120)>"),
    Payload(121, "<iframe srcdoc='<script>parent.xss(121)</script>'></iframe>"),
    Payload(
        122,
        '<svg><script>xss(122)</script></svg>\n\n<math><mi xlink:href="javascript:xss(122)">m</mi></math>',
        "<svg><script>xss(122)</script></svg>",
    ),
    Payload(123, "@zoe <img src=x onerror=xss(123)>", "@zoe <img src=x onerror=xss(123)>"),
]

ALL = PLAIN + MARKDOWN


def squash(text: str) -> str:
    """Whitespace as the browser's innerText shows it: runs of it as one space."""
    return re.sub(r"\s+", " ", text).strip()


#: Run in every frame before any of the page's own scripts: dialogs and CSP refusals report to the
#: binding too.
HOOKS = """
(() => {
  // Under the CSP (one test), anything it refuses is markup that got past the escaping.
  document.addEventListener("securitypolicyviolation", (e) => {
    window.xss(`csp:${e.violatedDirective}:${e.blockedURI}:${e.sample}`);
  });
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = (arg) => { window.xss("dialog:" + name + ":" + arg); return null; };
  }
})();
"""

#: What must not be in a page: a handler, an inline style, a script URL, or any element the
#: templates never write (the app's own: one script from /static/, img.chart on the digest).
FOREIGN_MARKUP = r"""
() => {
  const found = [];
  const show = (el) => el.outerHTML.slice(0, 160);
  const URL_ATTRS = ["href", "src", "action", "formaction", "data", "poster", "background", "cite",
                     "srcset", "ping", "xlink:href", "lowsrc", "dynsrc", "codebase"];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on") || name === "style" || name === "srcdoc" || name === "formaction") {
        found.push(`attribute ${name}: ${show(el)}`);
      }
      if (URL_ATTRS.includes(name) || name.endsWith(":href")) {
        // Browsers ignore control characters and spaces around and inside a scheme.
        const url = attr.value.replace(/[\u0000-\u0020]/g, "").toLowerCase();
        if (/^(javascript|vbscript|data|livescript):/.test(url)) found.push(`URL ${name}: ${show(el)}`);
      }
    }
    if (el.protocol && /^(javascript|vbscript|data):$/.test(el.protocol)) found.push(`link: ${show(el)}`);
  }
  const foreign = [
    'script:not([src^="/static/"])', "style", "iframe", "frame", "frameset", "object", "embed",
    "applet", "base", "svg", "math", "noscript", "template", "meta[http-equiv]", "body link",
    "img:not(.chart)",
  ].join(",");
  for (const el of document.querySelectorAll(foreign)) found.push(`element: ${show(el)}`);
  if (document.querySelectorAll("body").length !== 1) found.push("a second body");
  return found;
}
"""

#: Everything a reader can read: the page's text, its title, and what form fields hold.
READABLE_TEXT = r"""
() => [
  document.title,
  document.body.innerText,
  ...[...document.querySelectorAll("input:not([type=hidden]), textarea")].map((f) => f.value),
  ...[...document.querySelectorAll("option")].map((o) => o.textContent),
].join("\n")
"""
