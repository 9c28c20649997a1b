// The studio's lesson order by drag and drop (SortableJS). Without script, or from the keyboard, the
// up and down buttons beside each lesson do the same through plain forms.
document.addEventListener("DOMContentLoaded", () => {
  const outline = document.getElementById("outline");
  if (!outline || typeof Sortable === "undefined") return;
  const status = document.getElementById("outline-status");
  const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const save = async () => {
    const sections = [...outline.querySelectorAll(".outline-section")].map((section) => ({
      id: section.dataset.sectionId || null,
      lessons: [...section.querySelectorAll("[data-lesson-id]")].map((item) => item.dataset.lessonId),
    }));
    const body = new URLSearchParams({ outline: JSON.stringify(sections) });
    const response = await fetch(outline.dataset.outlineUrl, {
      method: "POST",
      headers: { "X-CSRFToken": token },
      body,
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({}));
    status.textContent = response.ok ? "Order saved." : (answer.error && answer.error.message) || "The order was not saved.";
  };
  outline.querySelectorAll("[data-sortable]").forEach((list) => {
    Sortable.create(list, { group: "lessons", handle: ".handle", animation: 150, onEnd: save });
  });
});
