// Coding an evidence item: turn a selection in the stored text into character offsets.
// Offsets count Unicode code points of the stored text, as the server does (Python string indices),
// so that a passage selected here is exactly the passage stored and highlighted.
const text = document.getElementById('coding-text')
const form = document.getElementById('coding-form')

function codePoints (s) { return Array.from(s).length }

function offsetsOf (range) {
  const before = document.createRange()
  before.selectNodeContents(text)
  before.setEnd(range.startContainer, range.startOffset)
  const start = codePoints(before.toString())
  return [start, start + codePoints(range.toString())]
}

if (text && form) {
  const passage = form.querySelector('#passage')
  const start = form.querySelector('#start')
  const end = form.querySelector('#end')
  const status = form.querySelector('#selection-status')
  const scopePassage = form.querySelector('#scope-passage')

  const capture = () => {
    const selection = window.getSelection()
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return
    const range = selection.getRangeAt(0)
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return
    const [s, e] = offsetsOf(range)
    if (e <= s) return
    start.value = s
    end.value = e
    passage.value = range.toString()
    scopePassage.checked = true
    status.textContent = form.dataset.selectedLabel
      ? form.dataset.selectedLabel.replace('%(n)s', e - s)
      : `${e - s} characters selected (${s}–${e})`
  }
  text.addEventListener('mouseup', capture)
  text.addEventListener('keyup', capture)
  document.addEventListener('selectionchange', () => {
    const selection = window.getSelection()
    if (selection && selection.rangeCount && text.contains(selection.anchorNode)) capture()
  })
  // Typing in the passage box means the exact positions no longer apply.
  passage.addEventListener('input', () => { start.value = ''; end.value = ''; status.textContent = '' })
  // Keyboard: Enter in the text jumps to the codes.
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault()
      const first = form.querySelector('#codes-fieldset input')
      if (first) first.focus()
    }
  })
}
