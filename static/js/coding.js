// Coding an evidence item: turn a selection in the stored text into character offsets.
// Offsets count Unicode code points of the stored text, as the server does (Python string indices),
// so that a passage selected here is exactly the passage stored and highlighted.
// The text is not editable, so browsers give it no caret: the keyboard selection is kept here (Shift with the
// arrow keys by character, with Ctrl or Alt by word; Shift+Home/End to the start or end) and shown as the
// page's selection. Every selection is snapped to whole words, as the server also does.
const text = document.getElementById('coding-text')
const form = document.getElementById('coding-form')

const WORD = /[\p{L}\p{N}_'’-]/u

function chars (s) { return Array.from(s) }

// The text as code points, and where each text node of the region starts among them.
function layout () {
  const nodes = []
  const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT)
  let total = 0
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const length = chars(node.data).length
    nodes.push({ node, start: total, length })
    total += length
  }
  return { nodes, total, all: chars(nodes.map(n => n.node.data).join('')) }
}

// A code-point offset into the region -> a DOM position (node, UTF-16 offset).
function domPosition (map, offset) {
  for (const entry of map.nodes) {
    if (offset <= entry.start + entry.length) {
      const within = chars(entry.node.data).slice(0, offset - entry.start).join('').length
      return [entry.node, within]
    }
  }
  const last = map.nodes[map.nodes.length - 1]
  return last ? [last.node, last.node.data.length] : [text, 0]
}

function offsetsOf (range) {
  const before = document.createRange()
  before.selectNodeContents(text)
  before.setEnd(range.startContainer, range.startOffset)
  const start = chars(before.toString()).length
  return [start, start + chars(range.toString()).length]
}

// Whole words only: a selection that cuts a word is widened to include it; spaces and the commas, colons and
// semicolons that join it to the next words are dropped at its edges.
const EDGE = /[\s,;:]/u
export function snapToWords (all, start, end) {
  while (start < end && EDGE.test(all[start])) start++
  while (end > start && EDGE.test(all[end - 1])) end--
  while (start > 0 && WORD.test(all[start - 1]) && WORD.test(all[start])) start--
  while (end < all.length && WORD.test(all[end - 1]) && WORD.test(all[end])) end++
  return [start, end]
}

function nextWordBoundary (all, pos, direction) {
  if (direction > 0) {
    while (pos < all.length && !WORD.test(all[pos])) pos++
    while (pos < all.length && WORD.test(all[pos])) pos++
  } else {
    while (pos > 0 && !WORD.test(all[pos - 1])) pos--
    while (pos > 0 && WORD.test(all[pos - 1])) pos--
  }
  return pos
}

if (text && form) {
  const passage = form.querySelector('#passage')
  const start = form.querySelector('#start')
  const end = form.querySelector('#end')
  const status = form.querySelector('#selection-status')
  const scopePassage = form.querySelector('#scope-passage')
  let anchor = 0
  let focusAt = 0
  let applying = false

  const show = (s, e) => {
    const map = layout()
    const [startNode, startOffset] = domPosition(map, s)
    const [endNode, endOffset] = domPosition(map, e)
    applying = true
    window.getSelection().setBaseAndExtent(startNode, startOffset, endNode, endOffset)
    applying = false
  }

  const fill = (s, e) => {
    const map = layout()
    const [a, b] = snapToWords(map.all, Math.min(s, e), Math.max(s, e))
    if (b <= a) return
    start.value = a
    end.value = b
    passage.value = map.all.slice(a, b).join('')
    scopePassage.checked = true
    status.textContent = form.dataset.selectedLabel
      ? form.dataset.selectedLabel.replace('%(n)s', b - a)
      : `${b - a} characters selected (${a}–${b})`
    return [a, b]
  }

  const capture = () => {
    if (applying) return
    const selection = window.getSelection()
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return
    const range = selection.getRangeAt(0)
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return
    const [s, e] = offsetsOf(range)
    if (e <= s) return
    fill(s, e)
  }
  // A mouse selection snaps to whole words when the button is released.
  text.addEventListener('mouseup', () => {
    capture()
    if (start.value !== '' && end.value !== '') show(Number(start.value), Number(end.value))
  })
  document.addEventListener('selectionchange', () => {
    const selection = window.getSelection()
    if (selection && selection.rangeCount && text.contains(selection.anchorNode)) capture()
  })

  text.addEventListener('keydown', (event) => {
    const all = layout().all
    if (event.key === 'Enter') {
      event.preventDefault()
      const first = form.querySelector('#codes-fieldset input')
      if (first) first.focus()
      return
    }
    const byWord = event.ctrlKey || event.altKey || event.metaKey
    let target = null
    if (event.key === 'ArrowRight') target = byWord ? nextWordBoundary(all, focusAt, 1) : Math.min(all.length, focusAt + 1)
    else if (event.key === 'ArrowLeft') target = byWord ? nextWordBoundary(all, focusAt, -1) : Math.max(0, focusAt - 1)
    else if (event.key === 'Home') target = 0
    else if (event.key === 'End') target = all.length
    else if (event.key === 'Escape') { anchor = focusAt; window.getSelection().collapse(text, 0); return }
    if (target === null) return
    event.preventDefault()
    if (!event.shiftKey) anchor = target
    focusAt = target
    if (anchor === focusAt) {
      const [node, offset] = domPosition(layout(), focusAt)
      applying = true
      window.getSelection().collapse(node, offset)
      applying = false
      return
    }
    // What is highlighted is what will be coded: the keys move freely, the selection shows whole words.
    const snapped = fill(anchor, focusAt)
    if (snapped) show(snapped[0], snapped[1])
    else show(Math.min(anchor, focusAt), Math.max(anchor, focusAt))
  })
  // Typing in the passage box means the exact positions no longer apply.
  passage.addEventListener('input', () => { start.value = ''; end.value = ''; status.textContent = '' })
}
