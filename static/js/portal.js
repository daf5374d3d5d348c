// Close the New menu once a choice in it has been made.
document.addEventListener("click", (event) => {
  const item = event.target.closest(".portal-new-menu a");
  if (item) item.closest("details.portal-new").removeAttribute("open");
});
