/**
 * The French technician documents (docs/fr/) against their English originals. docs/INSTALL.md's ```sh
 * blocks are executed by test/install/install-guide.test.ts, so the French guide must carry exactly the
 * same fenced blocks (info string and content, same count, same order): only the prose is translated.
 * Each French file also keeps the English file's heading structure, and every relative link in it leads
 * to a file that exists (and, with a #fragment into a Markdown file, to one of that file's headings).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** Each English document and its French translation, relative to the repository root. */
const PAIRS: ReadonlyArray<readonly [english: string, french: string]> = [
  ["docs/INSTALL.md", "docs/fr/INSTALL.md"],
  ["docs/CLI.md", "docs/fr/CLI.md"],
];

interface CodeBlock {
  /** The info string after the opening fence (`sh`, `ini`, or empty), trimmed. */
  readonly info: string;
  /** The lines between the fences, joined with "\n", exactly as written. */
  readonly body: string;
}

interface Heading {
  readonly level: number;
  readonly text: string;
}

interface ParsedMarkdown {
  readonly blocks: CodeBlock[];
  readonly headings: Heading[];
  /** The document with every fenced block removed (one empty line in its place). */
  readonly prose: string;
}

const OPENING_FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const CLOSING_FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;
const ATX_HEADING = /^(#{1,6}) (.*)$/;

/**
 * Splits a Markdown document into its fenced code blocks (CommonMark rules: ``` or ~~~, three or more;
 * a block closes on a fence of the same character at least as long, with nothing after it) and the
 * prose outside them, where the ATX headings (`# ` to `###### `) are collected.
 */
function parseMarkdown(markdown: string, name = "document"): ParsedMarkdown {
  const blocks: CodeBlock[] = [];
  const headings: Heading[] = [];
  const prose: string[] = [];
  let open: { fence: string; info: string; lines: string[]; at: number } | undefined;
  for (const [index, line] of markdown.split("\n").entries()) {
    if (open === undefined) {
      const opening = OPENING_FENCE.exec(line);
      if (opening !== null && !(opening[1]!.startsWith("`") && opening[2]!.includes("`"))) {
        open = { fence: opening[1]!, info: opening[2]!.trim(), lines: [], at: index + 1 };
        prose.push("");
        continue;
      }
      prose.push(line);
      const heading = ATX_HEADING.exec(line);
      if (heading !== null) {
        headings.push({ level: heading[1]!.length, text: heading[2]!.replace(/\s+#+\s*$/, "").trim() });
      }
      continue;
    }
    const closing = CLOSING_FENCE.exec(line);
    if (closing !== null && closing[1]![0] === open.fence[0] && closing[1]!.length >= open.fence.length) {
      blocks.push({ info: open.info, body: open.lines.join("\n") });
      open = undefined;
      continue;
    }
    open.lines.push(line);
  }
  if (open !== undefined) throw new Error(`${name}: the code block opened at line ${open.at} never closes`);
  return { blocks, headings, prose: prose.join("\n") };
}

/** GitHub's anchor for a heading: its text without markup, lower case, punctuation dropped, spaces to -. */
function headingSlug(text: string): string {
  return text
    .replace(/`/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}_ -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a document's headings give, with GitHub's -1, -2 … suffixes for repeated ones. */
function anchorsOf(headings: readonly Heading[]): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { text } of headings) {
    const slug = headingSlug(text);
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

/**
 * The link targets of a document's prose: inline links and images `[text](target "title")` and
 * reference definitions `[name]: target`, leaving out anything inside inline code spans.
 */
function linkTargets(prose: string): string[] {
  const text = prose.replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, "");
  const inline = [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  const definitions = [...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm)].map((m) => m[1]!);
  return [...inline, ...definitions];
}

/** Whether a link target is relative (not a URL with a scheme, not protocol-relative). */
function isRelative(target: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith("//");
}

/** What is wrong with each relative link of `file` (repository-relative): a missing file or heading. */
function brokenLinks(file: string): string[] {
  const absolute = join(REPO, file);
  const parsed = parseMarkdown(readFileSync(absolute, "utf8"), file);
  const problems: string[] = [];
  for (const target of linkTargets(parsed.prose).filter(isRelative)) {
    const hash = target.indexOf("#");
    const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
    const fragment = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const destination = path === "" ? absolute : resolve(dirname(absolute), path);
    if (!existsSync(destination)) {
      problems.push(`${target}: ${relative(REPO, destination)} does not exist`);
      continue;
    }
    if (fragment !== undefined && destination.endsWith(".md")) {
      const anchors = anchorsOf(parseMarkdown(readFileSync(destination, "utf8"), destination).headings);
      if (!anchors.has(fragment))
        problems.push(`${target}: no heading #${fragment} in ${relative(REPO, destination)}`);
    }
  }
  return problems;
}

function read(file: string): ParsedMarkdown {
  return parseMarkdown(readFileSync(join(REPO, file), "utf8"), file);
}

describe("the Markdown reading of this test", () => {
  const sample = [
    "# Title",
    "",
    "Text with `[not a link](nowhere.md)` and [a link](../API.md#7-the-invoice).",
    "",
    "```sh",
    "# not a heading",
    "echo 'one'",
    "```",
    "",
    "## Second — part (2)",
    "",
    "~~~~",
    "```ini",
    "still inside",
    "~~~~",
    "",
    "````text",
    "```",
    "````",
    "",
    "```",
    "  indented",
    "",
    "```",
    "[ref]: ./fr/CLI.md",
    "## Second — part (2)",
  ].join("\n");

  it("finds every fenced block with its info string, and only those", () => {
    expect(parseMarkdown(sample).blocks).toEqual([
      { info: "sh", body: "# not a heading\necho 'one'" },
      { info: "", body: "```ini\nstill inside" },
      { info: "text", body: "```" },
      { info: "", body: "  indented\n" },
    ]);
  });

  it("counts the headings outside code blocks, and slugs them as GitHub does", () => {
    const { headings } = parseMarkdown(sample);
    expect(headings.map((h) => h.level)).toEqual([1, 2, 2]);
    expect([...anchorsOf(headings)]).toEqual(["title", "second--part-2", "second--part-2-1"]);
    expect(headingSlug("6. Une clé de caisse et une facture de test")).toBe(
      "6-une-clé-de-caisse-et-une-facture-de-test",
    );
    expect(headingSlug("`stalela device …`")).toBe("stalela-device-");
  });

  it("finds the links outside code, and tells relative ones apart", () => {
    expect(linkTargets(parseMarkdown(sample).prose)).toEqual(["../API.md#7-the-invoice", "./fr/CLI.md"]);
    expect(["../API.md", "#top", "https://example.com", "mailto:a@b", "//cdn"].map(isRelative)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it("refuses a block that never closes", () => {
    expect(() => parseMarkdown("text\n```sh\necho\n", "open.md")).toThrow(/open\.md.*line 2 never closes/);
  });
});

describe.each(PAIRS)("%s and its French translation %s", (english, french) => {
  it("has exactly the English file's code blocks, in the same order", () => {
    const en = read(english).blocks;
    const fr = read(french).blocks;
    expect(en.length, `${english} has code blocks`).toBeGreaterThan(0);
    expect(
      fr.map((b) => b.info),
      `${french}: the info strings of its blocks`,
    ).toEqual(en.map((b) => b.info));
    en.forEach((block, i) => {
      expect(fr[i], `${french}: block ${i + 1} (\`\`\`${block.info}) differs from ${english}'s`).toEqual(
        block,
      );
    });
  });

  it("has as many headings as the English file, level for level", () => {
    const en = read(english).headings;
    const fr = read(french).headings;
    expect(en.length, `${english} has headings`).toBeGreaterThan(0);
    expect(fr.length, `${french}: number of headings`).toBe(en.length);
    expect(
      fr.map((h) => h.level),
      `${french}: heading levels`,
    ).toEqual(en.map((h) => h.level));
  });

  it("links only to files (and headings) that exist", () => {
    const links = linkTargets(read(french).prose).filter(isRelative);
    expect(links, `${french} links to its English original`).toContain(`../${english.slice("docs/".length)}`);
    expect(brokenLinks(french)).toEqual([]);
  });
});
