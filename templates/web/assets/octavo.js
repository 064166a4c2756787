/* octavo.js: what the web edition adds when JavaScript runs. Reading never needs it.
   - The left and right arrow keys follow the page's <link rel="prev"> and <link rel="next">.
   - On narrow screens the side contents becomes a drawer, opened by the Contents button.
   - The theme button switches between light and dark and remembers the choice in localStorage
     ("octavo-theme"); until the reader chooses, the page follows the system's preference.
   - The search box (hidden without JavaScript) loads search-index.js on first use and lists
     each page that holds every word typed (each word matched as a prefix) once, at its best
     section, with the passage that matched (from js/text/<page>.js, loaded for the pages listed).
   - A page opened from a search result (page.html?q=words#section) marks the words and
     scrolls to the first one in that section.
   The index format is described in octavo/writers/web_search.py. A book can replace this file
   with its own templates/web/assets/octavo.js. */
(function () {
  "use strict";

  /* The book's words for what this script says (octavo.i18n): a JSON table in the page when the
     book is not in English; a plural message is a table by CLDR category, chosen with
     Intl.PluralRules for the page's language. Without one, the English given here. */
  var WORDS = (function () {
    var tag = document.getElementById("_octavo-words");
    try { return tag ? JSON.parse(tag.textContent) : {}; } catch (error) { return {}; }
  })();

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    }).replace(/%%/g, "%");
  }

  function say(key, english, values) {
    var text = typeof WORDS[key] === "string" ? WORDS[key] : english;
    return fill(text, values);
  }

  function sayCount(key, count, english) {
    var forms = WORDS[key];
    if (!forms || typeof forms !== "object") return english;
    var kind = "other";
    try { kind = new Intl.PluralRules(document.documentElement.lang || "en").select(count); } catch (error) { /* old browser */ }
    var text = forms[kind] || forms.other || forms[Object.keys(forms)[0]];
    return fill(text, { count: count });
  }

  var FINAL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
  var CONTINUE = "ghijklmnopqrstuvwxyz0123456789-_";
  var WORD = /[\p{L}\p{N}]+/gu;
  /* CJK runs, cut into overlapping pairs as octavo/writers/web/search.py indexes them */
  var CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+/g;
  var CJK_ONE = new RegExp("^" + CJK.source + "$");
  var LIMIT = 40;
  var QUOTE = 70;  /* characters of the passage shown before the first match, about twice that after */
  var THEME = "octavo-theme";
  var script = document.currentScript;
  var indexUrl = new URL("search-index.js", script ? script.src : location.href).href;
  var siteUrl = new URL("..", indexUrl).href;  // pages are listed by their path from the site's top
  var textUrl = new URL("text/", script ? script.src : location.href).href;
  var root = document.documentElement;

  root.classList.add("js");

  function fold(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  }

  function terms(query) {
    var found = [];
    (fold(query).normalize("NFC").match(WORD) || []).forEach(function (word) {
      var at = 0;
      word.replace(CJK, function (run, start) {
        found.push(word.slice(at, start));
        if (run.length === 1) found.push(run);
        for (var i = 0; i + 1 < run.length; i++) found.push(run.slice(i, i + 2));
        at = start + run.length;
        return run;
      });
      found.push(word.slice(at));
    });
    return found.filter(function (word) {
      return word.length > 1 || /^\p{N}$/u.test(word) || (word.length === 1 && CJK_ONE.test(word));
    });
  }

  function editable(element) {
    return element && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName));
  }

  /* ← and → turn the page, unless the reader is typing or scrolling a wide table sideways. */
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    var target = event.target;
    if (editable(target) || (target.closest && target.closest(".table-wrap, pre"))) return;
    var forward = (event.key === "ArrowRight") !== (root.dir === "rtl");
    var link = document.querySelector('link[rel="' + (forward ? "next" : "prev") + '"]');
    if (link) {
      event.preventDefault();
      location.href = link.href;
    }
  });

  /* The theme: data-theme on <html> once the reader has chosen (set before drawing by the
     page's own first script), the system's preference until then. */
  function setupTheme() {
    var button = document.querySelector(".theme-toggle");
    if (!button) return;
    var system = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

    function dark() {
      var chosen = root.getAttribute("data-theme");
      return chosen ? chosen === "dark" : !!(system && system.matches);
    }

    function show() { button.setAttribute("aria-pressed", String(dark())); }

    button.hidden = false;
    show();
    button.addEventListener("click", function () {
      var theme = dark() ? "light" : "dark";
      root.setAttribute("data-theme", theme);
      try { localStorage.setItem(THEME, theme); } catch (error) { /* private mode: this page only */ }
      show();
    });
    if (system && system.addEventListener) system.addEventListener("change", show);
  }

  function setupDrawer() {
    var button = document.querySelector(".toc-toggle");
    var toc = document.getElementById("_toc");
    if (!button || !toc) return;
    var current = toc.querySelector('[aria-current="page"]');

    function reveal() {
      if (current && toc.scrollHeight > toc.clientHeight) {
        toc.scrollTop = Math.max(0, current.offsetTop - toc.clientHeight / 3);
      }
    }

    function open(state) {
      root.classList.toggle("toc-open", state);
      button.setAttribute("aria-expanded", String(state));
      if (state) {
        reveal();
        (current || toc.querySelector("a")).focus({ preventScroll: true });
      }
    }

    button.hidden = false;
    button.addEventListener("click", function () {
      open(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && root.classList.contains("toc-open")) {
        open(false);
        button.focus();
      }
    });
    document.addEventListener("click", function (event) {
      var inside = toc.contains(event.target) && !event.target.closest("a");
      if (root.classList.contains("toc-open") && !inside && !button.contains(event.target)) open(false);
    });
    reveal();
  }

  /* The index, decoded lazily: the word list is split once, postings on demand. */
  function lowerBound(list, word) {
    var low = 0, high = list.length;
    while (low < high) {
      var middle = (low + high) >> 1;
      if (list[middle] < word) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  function decode(text) {
    var out = [], value = 0, previous = -1;
    for (var i = 0; i < text.length; i++) {
      var character = text.charAt(i), digit = FINAL.indexOf(character);
      if (digit < 0) {
        value = value * 32 + CONTINUE.indexOf(character);
      } else {
        previous += value * 32 + digit;
        out.push(previous);
        value = 0;
      }
    }
    return out;
  }

  /* Section numbers holding a word that starts with term; exact matches are counted apart.
     Each block of the index numbers its sections from its own first one. */
  function lookup(index, term) {
    var found = {}, exact = {};
    index.blocks.forEach(function (block) {
      if (!block.list) block.list = block.words ? block.words.split(" ") : [];
      var i = lowerBound(block.list, term);
      for (var seen = 0; i < block.list.length && block.list[i].lastIndexOf(term, 0) === 0 && seen < 500; i++, seen++) {
        var sections = decode(block.postings[i]);
        for (var j = 0; j < sections.length; j++) {
          var section = block.first + sections[j];
          found[section] = true;
          if (block.list[i] === term) exact[section] = true;
        }
      }
    });
    return { found: found, exact: exact };
  }

  /* Sections that hold every term; those with more exact words first, then in reading order. */
  function search(index, words) {
    var hits = words.map(function (word) { return lookup(index, word); });
    var result = Object.keys(hits[0].found).map(Number).filter(function (section) {
      return hits.every(function (hit) { return hit.found[section]; });
    });
    function score(section) {
      return hits.filter(function (hit) { return hit.exact[section]; }).length;
    }
    return result.sort(function (a, b) { return score(b) - score(a) || a - b; });
  }

  function setupSearch() {
    var form = document.querySelector("form.search");
    var input = document.getElementById("_search-input");
    var panel = document.getElementById("_search-results");
    var status = document.getElementById("_search-status");
    if (!form || !input || !panel || !status) return;
    var state = { loading: false, pending: null, timer: 0 };

    function load(then) {
      if (window.octavoSearch) { then(window.octavoSearch); return; }
      state.pending = then;
      if (state.loading) return;
      state.loading = true;
      var tag = document.createElement("script");
      tag.src = indexUrl;
      tag.onload = function () { if (state.pending && window.octavoSearch) state.pending(window.octavoSearch); };
      tag.onerror = function () { message(say("unloaded", "The search index could not be loaded.")); };
      document.head.appendChild(tag);
    }

    function message(text) {
      panel.textContent = "";
      var note = document.createElement("p");
      note.className = "search-message";
      note.textContent = text;
      panel.appendChild(note);
      panel.hidden = false;
      status.textContent = text;
    }

    /* The pages found, each once, at its best section (the first in search order). */
    function byPage(index, found) {
      var seen = {}, listed = [];
      found.forEach(function (number) {
        var page = index.sections[number][0];
        if (!seen[page]) { seen[page] = true; listed.push(number); }
      });
      return listed;
    }

    function entry(index, number, words) {
      var section = index.sections[number], page = index.pages[section[0]];
      var link = document.createElement("a");
      link.href = new URL(page[0], siteUrl).href + "?q=" + encodeURIComponent(words.join(" ")) + (section[1] ? "#" + section[1] : "");
      var title = document.createElement("span");
      title.className = "result-page";
      title.textContent = page[1];
      link.appendChild(title);
      if (section[2]) {
        var heading = document.createElement("span");
        heading.className = "result-section";
        heading.textContent = section[2];
        link.appendChild(heading);
      }
      var passage = document.createElement("span");
      passage.className = "result-passage";
      link.appendChild(passage);
      passageOf(index, number, function (text) { quote(passage, text, words); });
      var item = document.createElement("li");
      item.appendChild(link);
      return item;
    }

    function show(index, words) {
      var found = byPage(index, search(index, words));
      if (!found.length) {
        message(say("nothing", "Nothing found for “%(query)s”.", { query: input.value.trim() }));
        return;
      }
      var count = sayCount("pages", found.length, found.length === 1 ? "1 page" : found.length + " pages");
      message(count + (found.length > LIMIT ? say("listed", ", the first %(limit)s listed", { limit: LIMIT }) : "")
              + say("stop", "."));
      var list = document.createElement("ol");
      found.slice(0, LIMIT).forEach(function (number) { list.appendChild(entry(index, number, words)); });
      panel.appendChild(list);
    }

    function run() {
      var words = terms(input.value);
      if (!words.length) { panel.hidden = true; status.textContent = ""; return; }
      load(function (index) { if (terms(input.value).join(" ") === words.join(" ")) show(index, words); });
    }

    function links() { return Array.prototype.slice.call(panel.querySelectorAll("a")); }

    form.hidden = false;
    input.addEventListener("focus", function () { load(function () {}); }, { once: true });
    input.addEventListener("input", function () {
      clearTimeout(state.timer);
      state.timer = setTimeout(run, 120);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var first = links()[0];
      if (first) location.href = first.href;
      else run();
    });
    form.addEventListener("keydown", function (event) {
      var all = links(), at = all.indexOf(document.activeElement);
      if (event.key === "Escape") {
        panel.hidden = true;
        input.focus();
      } else if (event.key === "ArrowDown" && all.length) {
        event.preventDefault();
        all[Math.min(at + 1, all.length - 1)].focus();
      } else if (event.key === "ArrowUp" && at >= 0) {
        event.preventDefault();
        (at === 0 ? input : all[at - 1]).focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) panel.hidden = true;
    });
    input.addEventListener("focus", function () { if (panel.childNodes.length && input.value.trim()) panel.hidden = false; });
    var query = new URLSearchParams(location.search).get("q");
    if (query) input.value = query;
  }

  /* The text of a page's sections, loaded once per page as a script (js/text/<page>.js). */
  var texts = {}, waiting = {};
  window.octavoText = function (page, sections) {
    texts[page] = sections;
    (waiting[page] || []).forEach(function (then) { then(); });
    delete waiting[page];
  };

  function passageOf(index, number, then) {
    var page = index.sections[number][0];
    if (index.firsts === undefined) {
      index.firsts = {};
      index.sections.forEach(function (section, n) {
        if (index.firsts[section[0]] === undefined) index.firsts[section[0]] = n;
      });
    }
    function give() { then(texts[page][number - index.firsts[page]] || ""); }
    if (texts[page]) { give(); return; }
    if (!waiting[page]) {
      waiting[page] = [];
      var tag = document.createElement("script");
      tag.src = textUrl + page + ".js";
      document.head.appendChild(tag);
    }
    waiting[page].push(give);
  }

  /* Into element: the passage of text around the first word that matches, the matches marked. */
  function quote(element, text, words) {
    function matches(word) {
      var folded = fold(word);
      return words.some(function (term) { return folded.lastIndexOf(term, 0) === 0; });
    }
    var match, first = -1;
    WORD.lastIndex = 0;
    while ((match = WORD.exec(text))) {
      if (matches(match[0])) { first = match.index; break; }
    }
    if (first < 0) return;
    var start = 0, cut = text.indexOf(" ", first - QUOTE);
    if (first > QUOTE) start = cut >= 0 && cut < first ? cut + 1 : first - QUOTE;
    var end = Math.min(text.length, first + 2 * QUOTE);
    if (end < text.length) end = Math.max(text.lastIndexOf(" ", end), first + 1);
    var passage = text.slice(start, end), last = 0;
    element.appendChild(document.createTextNode(start > 0 ? "… " : ""));
    WORD.lastIndex = 0;
    while ((match = WORD.exec(passage))) {
      if (!matches(match[0])) continue;
      element.appendChild(document.createTextNode(passage.slice(last, match.index)));
      var mark = document.createElement("mark");
      mark.textContent = match[0];
      element.appendChild(mark);
      last = match.index + match[0].length;
    }
    element.appendChild(document.createTextNode(passage.slice(last) + (end < text.length ? " …" : "")));
  }

  /* Mark the words of ?q= in the page, and bring the first one after the target into view. */
  function highlight() {
    var words = terms(new URLSearchParams(location.search).get("q") || "");
    var article = document.querySelector("main article");
    if (!words.length || !article) return;
    var walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT), nodes = [], marks = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      if (marks.length >= 500) return;
      var text = node.nodeValue, last = 0, parts = null, match;
      WORD.lastIndex = 0;
      while ((match = WORD.exec(text))) {
        var word = fold(match[0]);
        if (!words.some(function (term) { return word.lastIndexOf(term, 0) === 0; })) continue;
        parts = parts || document.createDocumentFragment();
        parts.appendChild(document.createTextNode(text.slice(last, match.index)));
        var mark = document.createElement("mark");
        mark.className = "search-hit";
        mark.textContent = match[0];
        parts.appendChild(mark);
        marks.push(mark);
        last = match.index + match[0].length;
      }
      if (parts) {
        parts.appendChild(document.createTextNode(text.slice(last)));
        node.parentNode.replaceChild(parts, node);
      }
    });
    var target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    var first = marks.filter(function (mark) {
      return !target || target.contains(mark) || (target.compareDocumentPosition(mark) & Node.DOCUMENT_POSITION_FOLLOWING);
    })[0] || marks[0];
    if (first) {
      first.classList.add("search-hit-first");
      first.scrollIntoView({ block: "center" });
    }
  }

  // mdBook's hidden code lines (span.line.boring, octavo/highlight.py): shown until this script
  // runs, then folded behind a button per block that says how many there are.
  function setupHiddenLines() {
    var blocks = document.querySelectorAll("pre.highlight");
    Array.prototype.forEach.call(blocks, function (pre) {
      var count = pre.querySelectorAll(".line.boring").length;
      if (!count) return;
      var noun = count === 1 ? " hidden line" : " hidden lines";
      function label(shown) {
        var english = (shown ? "Hide " : "Show ") + count + noun;
        return sayCount(shown ? "hide" : "show", count, english);
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button code-toggle";
      function show(shown) {
        pre.classList.toggle("show-hidden", shown);
        button.setAttribute("aria-expanded", shown ? "true" : "false");
        button.textContent = label(shown);
      }
      button.addEventListener("click", function () { show(!pre.classList.contains("show-hidden")); });
      show(false);
      pre.classList.add("has-hidden");
      pre.parentNode.insertBefore(button, pre);
    });
  }

  function start() {
    setupTheme();
    setupDrawer();
    setupSearch();
    setupHiddenLines();
    highlight();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
