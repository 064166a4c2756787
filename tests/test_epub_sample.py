"""The sample book's EPUB, read back as a reading system would: zip, OPF, nav, NCX, XHTML."""

from __future__ import annotations

import zipfile

from conftest import NS, Epub

PART_II = [
    ("4", "Technique 1: Authentically Respecting Stakeholders"),
    ("5", "Technique 2: Maintaining a Relationship Focus"),
    ("6", "Technique 3: Learning to Help Followers"),
    ("7", "Technique 4: Fostering Follower Change and Transformation"),
    ("8", "Technique 5: Learning Followership"),
    ("9", "Technique 6: Taking a Horizon Perspective"),
]


def text(element) -> str:  # type: ignore[no-untyped-def]
    return " ".join("".join(element.itertext()).split())


def test_zip_starts_with_stored_mimetype(sample_epub: Epub) -> None:
    first = sample_epub.zip.infolist()[0]
    assert first.filename == "mimetype"
    assert first.compress_type == zipfile.ZIP_STORED
    assert sample_epub.zip.read("mimetype") == b"application/epub+zip"
    assert not first.extra


def test_metadata(sample_epub: Epub) -> None:
    assert sample_epub.meta("title") == ["Inner Leadership", "Preparing Yourself to Lead Others"]
    assert sample_epub.meta("creator") == ["Maren Holt", "David Okafor"]
    assert sample_epub.meta("language") == ["en"]
    assert sample_epub.meta("publisher") == ["Octavo Sample Press"]
    assert "Leadership" in sample_epub.meta("subject")
    assert sample_epub.meta("description")[0].startswith("Inner Leadership argues")
    identifier = sample_epub.meta("identifier")
    assert len(identifier) == 1 and identifier[0].startswith("urn:uuid:")
    unique = sample_epub.opf.get("unique-identifier")
    assert sample_epub.opf.xpath(f"//dc:identifier[@id='{unique}']", namespaces=NS)
    modified = sample_epub.prop("dcterms:modified")
    assert len(modified) == 1 and modified[0].endswith("Z")


def test_accessibility_metadata(sample_epub: Epub) -> None:
    assert set(sample_epub.prop("schema:accessMode")) == {"textual", "visual"}
    features = set(sample_epub.prop("schema:accessibilityFeature"))
    assert {"alternativeText", "tableOfContents", "structuralNavigation", "readingOrder"} <= features
    assert sample_epub.prop("schema:accessibilityHazard") == ["none"]
    assert sample_epub.prop("schema:accessModeSufficient") == ["textual"]
    summary = sample_epub.prop("schema:accessibilitySummary")[0]
    assert summary.startswith("This publication meets EPUB Accessibility 1.1 at WCAG 2.1 Level AA.")
    assert "Its images have text alternatives." in summary and "MathML" not in summary  # the sample has no math
    assert sample_epub.prop("dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]


def test_spine_order_and_cover_is_linear(sample_epub: Epub) -> None:
    spine = sample_epub.spine_hrefs()
    assert spine[:4] == ["cover.xhtml", "titlepage.xhtml", "copyright.xhtml", "toc.xhtml"]
    assert spine[4] == "preface.xhtml" and spine[-1] == "references.xhtml"
    assert spine.index("part-2.xhtml") < spine.index("04-respecting-stakeholders.xhtml")
    assert not sample_epub.opf.xpath("//opf:itemref[@linear='no']", namespaces=NS)
    cover = sample_epub.opf.xpath("//opf:item[@properties='cover-image']/@href", namespaces=NS)
    assert cover == ["images/cover-2560.jpg"]  # the SVG cover, rasterised for stores and converters


def test_spine_toc_points_at_a_real_ncx(sample_epub: Epub) -> None:
    toc = sample_epub.opf.xpath("//opf:spine/@toc", namespaces=NS)[0]
    item = sample_epub.opf.xpath(f"//opf:item[@id='{toc}']", namespaces=NS)[0]
    assert item.get("media-type") == "application/x-dtbncx+xml"
    ncx = sample_epub.xml(item.get("href"))
    labels = [t.strip() for t in ncx.xpath("//ncx:navPoint/ncx:navLabel/ncx:text/text()", namespaces=NS)]
    assert "4. Technique 1: Authentically Respecting Stakeholders" in labels
    srcs = ncx.xpath("//ncx:content/@src", namespaces=NS)
    assert all(src.split("#")[0] in sample_epub.manifest() for src in srcs)


def test_nav_has_contents_tree_and_landmarks(sample_epub: Epub) -> None:
    nav_href = sample_epub.opf.xpath("//opf:item[@properties='nav']/@href", namespaces=NS)[0]
    nav = sample_epub.xml(nav_href)
    toc = nav.xpath("//x:nav[@epub:type='toc']", namespaces=NS)[0]
    parts = toc.xpath("./x:ol/x:li", namespaces=NS)
    titles = [text(li.xpath("./x:a", namespaces=NS)[0]) for li in parts]
    assert titles == ["Preface", "Part I: Foundations of Inner Leadership",
                      "Part II: The Techniques of Inner Leader Preparation", "References"]
    part_two = parts[2].xpath("./x:ol/x:li/x:a", namespaces=NS)
    assert [text(a) for a in part_two] == [title for _, title in PART_II]
    sections = parts[2].xpath("./x:ol/x:li[2]/x:ol/x:li/x:a/@href", namespaces=NS)
    assert "05-relationship-focus.xhtml#trust" in sections
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=NS)
    assert {"toc", "bodymatter", "cover", "titlepage"} <= set(landmarks)


def test_chapters_numbered_through_parts(sample_epub: Epub) -> None:
    for number, title in PART_II:
        _, doc = sample_epub.chapter_with_title(title)
        label = doc.xpath("//x:h1/x:span[@class='chapter-number']", namespaces=NS)  # kept with its heading
        assert text(label[0]) == f"Chapter {number}"
        assert not doc.xpath("//x:p[@class='chapter-number']", namespaces=NS)
    _, first = sample_epub.chapter_with_title("Preface")
    assert not first.xpath("//*[@class='chapter-number']", namespaces=NS)


def test_part_two_page_lists_its_chapters(sample_epub: Epub) -> None:
    doc = sample_epub.xml("part-2.xhtml")
    assert [text(h) for h in doc.xpath("//x:h1", namespaces=NS)] == ["The Techniques of Inner Leader Preparation"]
    assert text(doc.xpath("//x:p[@class='part-number']", namespaces=NS)[0]) == "Part II"
    labels = doc.xpath("//x:section/@aria-label", namespaces=NS)
    assert labels == ["Part II: The Techniques of Inner Leader Preparation"]
    # the overview lists the chapters itself, so no second, generated list follows it
    assert not doc.xpath("//x:nav[@class='part-contents']", namespaces=NS)
    listed = doc.xpath("//x:div[@class='part-intro']//x:a[not(@class)]", namespaces=NS)
    chapters = ("04-respecting-stakeholders", "05-relationship-focus", "06-helping-followers",
                "07-follower-transformation", "08-learning-followership", "09-horizon-perspective")
    assert [a.get("href") for a in listed if not a.get("href").startswith("references")] == [
        f"{name}.xhtml" for name in chapters]
    overview = " ".join(text(a) for a in listed)
    for _, title in PART_II:
        assert title in overview


def test_footnotes_link_both_ways(sample_epub: Epub) -> None:
    _, doc = sample_epub.chapter_with_title("Technique 2: Maintaining a Relationship Focus")
    refs = doc.xpath("//x:a[@epub:type='noteref']", namespaces=NS)
    assert len(refs) >= 2
    for ref in refs:
        target = ref.get("href")
        assert target.startswith("#")
        note = doc.xpath(f"//*[@id='{target[1:]}']", namespaces=NS)[0]
        assert note.tag == f"{{{NS['x']}}}aside" and note.get(f"{{{NS['epub']}}}type") == "footnote"
        back = note.xpath(".//x:a[@role='doc-backlink']/@href", namespaces=NS)[0]
        assert doc.xpath(f"//*[@id='{back[1:]}']", namespaces=NS), "the note links back to a call"
    assert refs[0].get("href") == refs[1].get("href"), "a note called twice is one note"
    assert refs[0].get("id") != refs[1].get("id")


def test_links_between_chapters_resolve(sample_epub: Epub) -> None:
    manifest = sample_epub.manifest()
    checked = 0
    for href in sample_epub.spine_hrefs():
        doc = sample_epub.xml(href)
        for link in doc.xpath("//x:a/@href", namespaces=NS):
            if link.startswith(("http:", "https:", "mailto:")):
                continue
            page, _, fragment = link.partition("#")
            target = sample_epub.xml(page) if page else doc
            assert not page or page in manifest, f"{href}: {link}"
            if fragment:
                assert target.xpath(f"//*[@id='{fragment}']"), f"{href}: {link} has no target"
            checked += 1
    assert checked > 50
    _, doc = sample_epub.chapter_with_title("What Is Inner Leadership?")
    links = doc.xpath("//x:a/@href", namespaces=NS)
    assert "04-respecting-stakeholders.xhtml#stakeholder-map" in links


def test_figure_table_quote_and_definition_list(sample_epub: Epub) -> None:
    _, four = sample_epub.chapter_with_title("Technique 1: Authentically Respecting Stakeholders")
    img = four.xpath("//x:figure/x:img", namespaces=NS)[0]
    assert img.get("src") == "images/stakeholder-map.svg"
    assert img.get("alt").startswith("A stakeholder map")
    assert "images/stakeholder-map.svg" in sample_epub.manifest()
    _, six = sample_epub.chapter_with_title("Technique 3: Learning to Help Followers")
    assert len(six.xpath("//x:table//x:tbody/x:tr", namespaces=NS)) == 5
    _, two = sample_epub.chapter_with_title("Knowing Yourself Before Leading Others")
    assert len(two.xpath("//x:blockquote/x:p", namespaces=NS)) >= 2
    _, eight = sample_epub.chapter_with_title("Technique 5: Learning Followership")
    assert len(eight.xpath("//x:dl/x:dt", namespaces=NS)) == 3


def test_smart_punctuation(sample_epub: Epub) -> None:
    _, five = sample_epub.chapter_with_title("Technique 2: Maintaining a Relationship Focus")
    body = text(five.xpath("//x:body", namespaces=NS)[0])
    assert "“Do they trust me?”" in body
    assert "acknowledgment—“I said" in body
    assert '"' not in body and "---" not in body


def test_every_page_declares_its_language(sample_epub: Epub) -> None:
    for href in [*sample_epub.spine_hrefs(), "nav.xhtml"]:
        root = sample_epub.xml(href)
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
        assert root.get("lang") == "en"
